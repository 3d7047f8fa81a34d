"""The runner of a page's background job: ``python -m sipelangi_net.server.pages.jobrun FOLDER -- ARGV...``.

Runs ARGV (the ``sipelangi-net`` CLI) with this process's environment and output, waits for it,
and writes its exit code to ``FOLDER/rc`` atomically (``rc.part`` then rename). It ignores
SIGINT and SIGHUP (a closed terminal or the server's Ctrl-C is not the run's end); SIGTERM is
passed on to the run, which stops as the CLI does on it. From its start to its end it holds the
lock ``FOLDER/runner.lock``: how the server tells a running job where there is no ``/proc``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path


def main(args: list[str]) -> int:
    from sipelangi_net.cli.output import say
    from sipelangi_net.locks import open_lock, wait_lock, write_holder
    from sipelangi_net.server.pages.jobs import RUNNER_LOCK

    if len(args) < 3 or args[1] != "--":
        say("usage: jobrun FOLDER -- COMMAND...", err=True)
        return 2
    folder = Path(args[0])
    runner = open_lock(folder / RUNNER_LOCK)  # held to this process's end (how jobs see it run off Linux)
    wait_lock(runner)
    write_holder(runner, f"pid {os.getpid()}\n")
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGHUP"):  # POSIX; Windows has no hang-up signal
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        child = subprocess.Popen(args[2:], stdin=subprocess.DEVNULL)
    except OSError as exc:
        say(f"jobrun: cannot start {args[2]}: {exc}", err=True)
        code = 127
    else:
        signal.signal(signal.SIGTERM, lambda _n, _f: child.terminate())
        code = child.wait()
    partial = folder / "rc.part"
    partial.write_text(f"{code}\n")
    os.replace(partial, folder / "rc")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
