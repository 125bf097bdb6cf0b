"""The event contract the collector and the processor share: the event record, identifiers and
their rules, the stream's names and format, and the one masking of personal values in logs."""
