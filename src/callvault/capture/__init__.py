"""Sources of timestamped packets: capture files (pcap, pcapng, gzip) and, later, live interfaces."""
