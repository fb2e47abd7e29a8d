"""Streamlit helpers shared by the pages: cached resources and safe rendering. UI only."""
