"""The transcription pipeline, one module per stage.

fetch → audio → speech (voice activity) → language → transcribe → translate → subtitles;
`runner.run_pipeline` calls them in that order. The stages know nothing of Django models.
"""
