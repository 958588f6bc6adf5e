"""Demo service package."""
