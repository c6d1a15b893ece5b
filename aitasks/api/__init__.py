"""The APIs: Gcore's AI tasks and videos, and the other clients' (OpenAI, whisper-asr-webservice)."""
