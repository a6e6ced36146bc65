"""The call: model, correlation of dialogs and media into calls, call lifecycle."""
