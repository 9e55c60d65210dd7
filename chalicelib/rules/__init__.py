"""The rules (pure): one small module per rule id, a declarative registry, the engine, findings."""
