"""Views: figures, maps, the sweep report, the animation and the dashboard."""
