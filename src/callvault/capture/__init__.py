"""Sources of timestamped packets: capture files (pcap, pcapng, gzip); later, live interfaces."""
