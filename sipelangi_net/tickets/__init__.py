"""The ticket record (SiPelangi) and the SOP workflow."""
