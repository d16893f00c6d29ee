"""Publishes over WHIP and plays over WHEP with aiortc, a WebRTC stack other than the relay's.

Usage: whip_whep_check.py BASE LESSON TEACHER_TOKEN VIEWER_TOKEN SECONDS
Prints one JSON line: decoded video frames and their size, audio frames, DELETE statuses.
"""
import asyncio
import json
import sys
import urllib.error
import urllib.request

from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack


def http(method, url, token, body=None):
    req = urllib.request.Request(url, data=body, method=method)
    req.add_header("Authorization", "Bearer " + token)
    if body is not None:
        req.add_header("Content-Type", "application/sdp")
    try:
        with urllib.request.urlopen(req, timeout=20) as resp:
            return resp.status, dict(resp.headers), resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def bundled():
    # One ICE transport for audio and video, as WHIP/WHEP clients such as OBS use.
    return RTCPeerConnection(RTCConfiguration(bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))


async def post_offer(pc, url, token):
    await pc.setLocalDescription(await pc.createOffer())
    status, headers, answer = await asyncio.to_thread(
        http, "POST", url, token, pc.localDescription.sdp.encode()
    )
    if status != 201:
        raise SystemExit(f"POST {url}: {status} {answer}")
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    return headers.get("Location") or headers.get("location")


async def main():
    base, lesson, teacher, viewer, seconds = sys.argv[1:6]
    seconds = float(seconds)
    publisher = bundled()
    publisher.addTrack(VideoStreamTrack())
    publisher.addTrack(AudioStreamTrack())
    whip = await post_offer(publisher, f"{base}/lessons/{lesson}/whip", teacher)
    await asyncio.sleep(2)

    player = bundled()
    player.addTransceiver("video", direction="recvonly")
    player.addTransceiver("audio", direction="recvonly")
    counts = {"frames": 0, "width": 0, "height": 0, "audio_frames": 0}

    async def consume(track):
        while True:
            try:
                frame = await track.recv()
            except Exception:
                return
            if track.kind == "video":
                counts["frames"] += 1
                counts["width"], counts["height"] = frame.width, frame.height
            else:
                counts["audio_frames"] += 1

    @player.on("track")
    def on_track(track):
        asyncio.ensure_future(consume(track))

    whep = await post_offer(player, f"{base}/lessons/{lesson}/whep", viewer)
    await asyncio.sleep(seconds)
    counts["whep_delete"] = (await asyncio.to_thread(http, "DELETE", base + whep, viewer))[0]
    counts["whip_delete"] = (await asyncio.to_thread(http, "DELETE", base + whip, teacher))[0]
    counts["whip_delete_again"] = (await asyncio.to_thread(http, "DELETE", base + whip, teacher))[0]
    await player.close()
    await publisher.close()
    print(json.dumps(counts), flush=True)


asyncio.run(main())
