"""Generate a larger city inventory (for benchmarks and scale tests).

``generate_inventory(out, sites=50)`` writes a complete inventory directory:
the Diskominfo core and its server segment (copied from the shipped
inventory), one distribution router per group of up to eight OPD sites
(named after the kecamatan of Pangkalpinang), and per site an access switch
and a user PC.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from sipelangi_net.paths import inventory_dir

KECAMATAN = ["Bukit Intan", "Gabek", "Gerunggang", "Girimaya", "Pangkalbalam", "Rangkui", "Taman Sari"]
SITES_PER_DIST = 8


def _slug(text: str) -> str:
    return text.lower().replace(" ", "")


def _mgmt(index: int) -> str:
    return f"127.3.{index // 250}.{index % 250 + 1}"


def generate_inventory(out: Path, *, sites: int, source: Path | None = None) -> Path:
    """Write an inventory with ``sites`` OPD sites to ``out`` and return it."""
    src = source or inventory_dir()
    out.mkdir(parents=True, exist_ok=True)
    for name in (
        "groups.yaml",
        "defaults.yaml",
        "servers.yaml",
        "applications.yaml",
        "ipam.yaml",
        "devices.yaml",
        "calendar.yaml",
    ):
        shutil.copy(src / name, out / name)
    dists = max(1, -(-sites // SITES_PER_DIST))
    hosts: dict[str, Any] = {
        "core-diskominfo": {
            "hostname": _mgmt(0),
            "port": 2022,
            "groups": ["frr", "core"],
            "data": {
                "site": "diskominfo",
                "kecamatan": "Taman Sari",
                "loopback": "10.255.255.1/32",
                "description": "Router inti Diskominfo",
            },
        },
        "sw-dc-diskominfo": {
            "hostname": _mgmt(1),
            "port": 2022,
            "groups": ["ovs", "server-access"],
            "data": {"site": "diskominfo", "description": "Switch ruang server Diskominfo"},
        },
    }
    links: list[dict[str, Any]] = []
    site_entries: dict[str, Any] = {}
    dist_names = []
    for d in range(dists):
        kec = KECAMATAN[d % len(KECAMATAN)]
        name = f"dist-{_slug(kec)}" + (f"-{d // len(KECAMATAN) + 1}" if d >= len(KECAMATAN) else "")
        dist_names.append((name, kec))
        hosts[name] = {
            "hostname": _mgmt(2 + d),
            "port": 2022,
            "groups": ["frr", "distribution"],
            "data": {
                "kecamatan": kec,
                "loopback": f"10.255.255.{d + 2}/32",
                "description": f"Router distribusi {kec}",
            },
        }
        base = 4 * d
        links.append(
            {
                "a": {
                    "device": "core-diskominfo",
                    "port": f"eth{d + 1}",
                    "address": f"10.255.{base // 256}.{base % 256 + 1}/30",
                },
                "b": {"device": name, "port": "eth0", "address": f"10.255.{base // 256}.{base % 256 + 2}/30"},
                "capacity_mbit": 1000,
                "medium": "fibre",
            }
        )
    for s in range(sites):
        dist, kec = dist_names[s // SITES_PER_DIST]
        key = f"opd-{s + 1:03d}"
        sw = f"sw-{key}"
        hosts[sw] = {
            "hostname": _mgmt(2 + dists + s),
            "port": 2022,
            "groups": ["ovs", "access"],
            "data": {"site": key, "kecamatan": kec, "description": f"Switch akses OPD {s + 1}"},
        }
        site_entries[key] = {
            "opd": f"Perangkat Daerah {s + 1}",
            "kecamatan": kec,
            "distribution": {"device": dist, "port": f"eth{s % SITES_PER_DIST + 1}"},
            "access_switch": {"device": sw, "uplink": "eth0", "ports": 2},
            "uplink": {
                "capacity_mbit": [100, 50, 20, 10][s % 4],
                "medium": "fibre" if s % 2 == 0 else "radio",
            },
            "lab": {"user_hosts": [{"name": f"pc-{key}", "port": "eth1"}]},
        }
    for fname, data in (("hosts.yaml", hosts), ("links.yaml", links), ("sites.yaml", site_entries)):
        (out / fname).write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return out
