"""Help pages anyone can read: crisis contacts, reporting a side effect, who runs the community."""
