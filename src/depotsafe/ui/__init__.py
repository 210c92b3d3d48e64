"""Streamlit widgets and formatting helpers (the only package code importing streamlit)."""
