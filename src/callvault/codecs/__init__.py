"""Audio codecs: G.711 by table lookup; the rest through a maintained codec library."""
