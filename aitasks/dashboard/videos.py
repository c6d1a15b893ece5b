"""The dashboard's Videos pages: upload or copy a video, play it with its subtitles, add
subtitles (a file, or AI subtitles), delete.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from .. import hosted_videos, queue, upload_limits
from ..cues import InvalidSubtitles, to_vtt
from ..data_dirs import scratch_folder
from ..models import UNFINISHED_STATUSES, Subtitle, Video, VideoStatus
from ..pipeline import media
from ..pipeline.errors import PipelineError
from .forms import SubtitleUploadForm, VideoAiSubtitlesForm, VideoUploadForm


@login_required
@require_http_methods(["GET", "POST"])
def videos_page(request: HttpRequest) -> HttpResponse:
    form = VideoUploadForm()
    if request.method == "POST":
        form = VideoUploadForm(request.POST, request.FILES, refused=upload_limits.refusal(request))
        if form.is_valid():
            video = _add_video(request, form)
            if video is not None:
                messages.success(request, f"“{video.name}” added.")
                return redirect("video-detail", video_id=video.pk)
    user_videos = Video.objects.filter(owner=request.user)
    polling = user_videos.filter(status__in=[VideoStatus.PENDING]).exists()
    context = {"form": form, "videos": user_videos, "polling": polling}
    if request.htmx and request.htmx.target == "videos-table":
        response = render(request, "aitasks/_videos_table.html", context)
        if not polling:
            response.status_code = HttpResponseStopPolling.status_code
        return response
    return render(request, "aitasks/videos.html", context, status=400 if form.errors else 200)


def _add_video(request: HttpRequest, form: VideoUploadForm) -> Video | None:
    data = form.cleaned_data
    upload = data.get("file")
    name = data.get("name") or (Path(upload.name).stem if upload else Path(data["origin_url"].split("?")[0]).stem)
    fields = {
        "name": name[:255] or "Untitled video",
        "auto_transcribe_audio_language": data.get("auto_transcribe_audio_language") or "disable",
        "auto_translate_subtitles_language": ",".join(data.get("auto_translate_subtitles_language") or []) or "disable",
    }
    if upload is None:
        from ..api.forms import VideoForm

        api_form = VideoForm({**fields, "origin_url": data["origin_url"]})
        if not api_form.is_valid():
            for field, errors in api_form.errors.items():
                form.add_error("origin_url" if field == "origin_url" else None, errors)
            return None
        try:
            return queue.submit(request.user, copy=api_form.cleaned_data).video
        except queue.QueueFull as full:
            form.add_error(None, f"{full}.")
            return None
    if upload.size > settings.AITASKS_MAX_UPLOAD_MB * 1024 * 1024:
        form.add_error("file", f"The file is larger than {settings.AITASKS_MAX_UPLOAD_MB} MB.")
        return None
    # Django streamed the upload to a temporary file (FILE_UPLOAD_MAX_MEMORY_SIZE): move it on.
    with scratch_folder("upload-") as folder:
        scratch = folder / "upload"
        with scratch.open("wb") as target:
            for chunk in upload.chunks():
                target.write(chunk)
        try:
            # A file that is not a video is refused before anything is kept.
            media.probe(scratch, settings.AITASKS_MAX_DURATION_S)
        except PipelineError as error:
            form.add_error("file", f"This file cannot be used: {error}. Choose a video file (MP4, WebM, MOV…).")
            return None
        video = Video.objects.create(owner=request.user, **fields)
        hosted_videos.store_file(video, scratch)
    video.refresh_from_db()
    if video.status == VideoStatus.ERROR:
        messages.error(request, f"The file was not accepted: {video.error}.")
    elif video.error:  # stored, but its auto-transcription did not fit in the queue
        messages.error(request, f"The video was stored; {video.error}.")
    return video


def _own_video(request: HttpRequest, video_id: int) -> Video:
    return get_object_or_404(Video, pk=video_id, owner=request.user)


LIVE_PART = "video-live"  # the part of the video page that asks for news while work runs


@login_required
@require_GET
def video_detail(request: HttpRequest, video_id: int) -> HttpResponse:
    """The video's page; with htmx, while its copy or AI tasks run, the parts that change.

    The polled part answers with the status, subtitle list and AI tasks table (out of band);
    the player only when the client's player (the `player` query parameter: its tracks, or
    none) is no longer what the video has, so a playing video and a half-filled form are never
    reset by a refresh. It stops polling with 286 once nothing is left to wait for.
    """
    video = _own_video(request, video_id)
    tasks = video.ai_tasks.all()
    subtitles = list(video.subtitles.all())
    player = "tracks:" + ",".join(str(subtitle.pk) for subtitle in subtitles) if video.has_file else "none"
    context = {
        "video": video,
        "subtitles": subtitles,
        "tasks": tasks,
        "player": player,
        "polling": video.status == VideoStatus.PENDING or any(t.status in UNFINISHED_STATUSES for t in tasks),
    }
    if request.htmx and request.htmx.target == LIVE_PART:
        context["player_changed"] = request.GET.get("player") != player
        response = render(request, "aitasks/_video_live.html", context)
        if not context["polling"]:
            response.status_code = HttpResponseStopPolling.status_code
        return response
    context["subtitle_form"] = SubtitleUploadForm()
    context["ai_form"] = VideoAiSubtitlesForm(auto_id="gen_%s")
    return render(request, "aitasks/video_detail.html", context)


@login_required
@require_POST
def video_subtitles(request: HttpRequest, video_id: int) -> HttpResponse:
    """Upload a subtitle file, or start AI subtitles, for a video."""
    video = _own_video(request, video_id)
    if "generate" in request.POST:
        ai_form = VideoAiSubtitlesForm(request.POST)
        if video.status != VideoStatus.READY:
            messages.error(request, "AI subtitles start once the video is ready.")
        elif not ai_form.is_valid():
            messages.error(request, f"AI subtitles were not started: {ai_form.first_error()}")
        else:
            audio = ai_form.cleaned_data["audio_language"] or "auto"
            target = ai_form.cleaned_data["subtitles_language"]
            try:
                hosted_videos.start_ai_subtitles(video, audio, [target] if target else [])
            except queue.QueueFull as full:
                messages.error(request, f"{full}.")
            else:
                messages.success(request, "AI subtitles started: they appear here when the task succeeds.")
        return redirect("video-detail", video_id=video.pk)
    form = SubtitleUploadForm(request.POST, request.FILES)
    if refused := upload_limits.refusal(request):
        messages.error(request, f"The subtitles were not accepted: {refused}")
    elif form.is_valid():
        try:
            vtt = to_vtt(form.cleaned_data["file"].read(6 * 1024 * 1024).decode("utf-8-sig", errors="replace"))
        except InvalidSubtitles as problem:
            messages.error(request, f"The subtitles were not accepted: {problem}.")
        else:
            language = form.cleaned_data["language"]
            from .. import languages

            Subtitle.objects.create(
                video=video, language=language, vtt=vtt, name=form.cleaned_data["name"] or languages.get(language).name
            )
            messages.success(request, "Subtitles added.")
    else:
        messages.error(request, "Choose a language and a WebVTT or SRT file.")
    return redirect("video-detail", video_id=video.pk)


@login_required
@require_GET
def subtitle_file(request: HttpRequest, video_id: int, subtitle_id: int) -> HttpResponse:
    subtitle = get_object_or_404(Subtitle, pk=subtitle_id, video_id=video_id, video__owner=request.user)
    response = HttpResponse(subtitle.vtt, content_type="text/vtt; charset=utf-8")
    if "inline" not in request.GET:
        name = f"{slugify(subtitle.video.name)[:60] or 'video'}.{subtitle.language}.vtt"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def subtitle_delete(request: HttpRequest, video_id: int, subtitle_id: int) -> HttpResponse:
    subtitle = get_object_or_404(Subtitle, pk=subtitle_id, video_id=video_id, video__owner=request.user)
    subtitle.delete()
    messages.success(request, "Subtitles deleted.")
    return redirect("video-detail", video_id=video_id)


@login_required
@require_POST
def video_delete(request: HttpRequest, video_id: int) -> HttpResponse:
    video = _own_video(request, video_id)
    hosted_videos.delete_video(video)
    messages.success(request, "Video deleted.")
    return redirect("videos")
