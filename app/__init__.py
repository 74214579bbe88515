"""ModelWard (Phường Kiểu Mẫu): offline-first desktop app for model ward police units."""

__version__ = "0.1.0"
APP_NAME = "ModelWard"
APP_AUTHOR = "ModelWard"
