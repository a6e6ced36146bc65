"""Recordings: each call's conversation as aligned stereo audio (caller left, callee right)."""
