"""Device drivers: the only modules that import paramiko, netmiko or napalm."""
