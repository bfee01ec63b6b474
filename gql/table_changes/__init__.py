"""`tableChanges`: the generic, authorized stream of a realtime table's row changes."""
