"""Sources of timestamped packets: capture files (pcap, pcapng, gzip); later, live interfaces.

``open_capture(path)`` reads a file as PacketBatches; ``PcapWriter`` and ``PcapngWriter``
write one.
"""

from callvault.capture.batch import PacketBatch
from callvault.capture.reader import CaptureReader, open_capture
from callvault.capture.writer import PcapngWriter, PcapWriter

__all__ = ["CaptureReader", "PacketBatch", "PcapWriter", "PcapngWriter", "open_capture"]
