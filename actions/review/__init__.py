"""Beside the build, for the people who sign alt text off: the review page (page), the publish
check (check), their decisions (decisions) and the git hook that runs the check (hook)."""
