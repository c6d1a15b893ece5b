"""The transcription pipeline, one module per stage; `runner.run_pipeline` calls them in order:

1. translate.plan, first of all for a spoken language the client named: a pair this
   installation cannot write is refused before anything is downloaded;
2. fetch: the origin URL, safely (or the stored file of a hosted video or an upload);
3. audio: the first audio track, as 16 kHz mono;
4. speech: voice activity (the level of a quiet recording raised, telephone-band audio searched
   at a lower threshold), the regions with speech and the windows they make;
5. language: identification and code-switching (each stretch in its language), then the
   translation plan of each detected language;
6. transcribe: each language's windows through the speech engine (aitasks.engines), Whisper
   translating to English where that is the plan; word_times: each word's start checked
   against the audio's own sound;
7. translate: a text model's translation of those words, where Whisper cannot;
8. script: Chinese in one script;
9. subtitles: words → cues by broadcast rules, cut between phrases (phrases.py).

The stages know nothing of Django models; content moderation has its own package
(aitasks.moderation).
"""
