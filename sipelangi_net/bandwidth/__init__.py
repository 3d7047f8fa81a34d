"""Bandwidth acceptance (SOP step 8): iperf3 for the intranet path, speedtest-cli for the breakout."""
