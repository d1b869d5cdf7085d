"""Policy rules: one module per family, one class per rule; see `base.Rule`."""
