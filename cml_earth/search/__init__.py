"""Full-text search over the stories and words of support a viewer may see."""
