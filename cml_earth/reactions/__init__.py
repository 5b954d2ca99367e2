"""Virtual hugs and high-fives, sent to members, stories and words of support."""
