"""sipelangi-net: network automation for the Pangkalpinang government intranet SOP."""

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
