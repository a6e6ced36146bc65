"""Contact-center analytics over the journal: KPIs, peak hours and staffing, marketing."""
