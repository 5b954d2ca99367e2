"""Member profiles: the page, the member list, avatars, and the profile and privacy settings."""
