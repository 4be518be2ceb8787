"""Collections: ordered groups of assets (libraries, projects, characters, storyboards)."""
