"""The synthetic demo benchmark: ``generator`` renders it (needs OpenCV), ``demo_root`` finds a
written copy (does not). Import the modules themselves; this package imports neither."""
