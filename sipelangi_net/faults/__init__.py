"""The fault side: fault tickets, the monitored topology and the correlation of observations."""
