"""The sipelangi-net command line (Typer). Heavy imports stay inside commands."""
