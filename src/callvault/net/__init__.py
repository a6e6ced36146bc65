"""Frames to datagrams: link layers, VLAN, IPv4/IPv6 with fragment reassembly, UDP, TCP streams, tunnels."""
