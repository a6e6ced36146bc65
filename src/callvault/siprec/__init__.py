"""callvault as a SIPREC Session Recording Server (RFC 7866): a recording client (an SBC or
PBX) sends each call's media to callvault as a recording session; the session is recorded
through the same engine as a capture ingest, so it ends as the same journal row and the same
recording."""
