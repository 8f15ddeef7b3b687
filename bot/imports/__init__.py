"""Annotation and gold imports: pure readers/validation (`readers`, `rows`) and loading (`load`)."""
