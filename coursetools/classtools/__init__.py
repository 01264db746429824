"""Class-wide tools: reports, similarity, LMS exports."""
