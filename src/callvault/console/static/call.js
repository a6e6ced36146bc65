/* A call's page: its journal fields, streams and events from GET /api/calls/{ref}; the
   stereo recording in wavesurfer.js (split channels: the caller's lane above the callee's),
   drawn from the server's peaks (GET …/recording/peaks) while the audio streams through the
   media element, with skip-silence over the spans the server found silent;
   comment/outcome/tags saved with PATCH (CSRF header); the client's earlier calls. */
"use strict";
(function () {
  const SPEEDS = [0.75, 1, 1.25, 1.5, 2];

  function clientNumber(call) {
    /* The party who is not the call center: the caller of an inbound call, else the callee. */
    const party = call.direction === "outbound" ? call.callee : call.caller;
    return party.e164 || party.number;
  }

  function fields(call) {
    const list = document.getElementById("cv-fields");
    const add = (label, value) => list.append(cv.el("dt", {}, label), cv.el("dd", {}, value ?? "—"));
    const party = (p) => [p.number, p.display_name && `(${p.display_name})`, p.e164 && p.e164 !== p.number && `· ${p.e164}`]
      .filter(Boolean).join(" ");
    add(cv.t("col.started"), cv.dateTime(call.started_at));
    add(cv.t("col.direction"), cv.t(`direction.${call.direction}`));
    add(cv.t("col.caller"), party(call.caller));
    add(cv.t("col.callee"), party(call.callee));
    add(cv.t("col.status"), `${cv.t(`status.${call.status}`)}${call.sip_code ? ` (SIP ${call.sip_code}${call.reason ? " " + call.reason : ""})` : ""}`);
    add(cv.t("col.duration"), cv.duration(call.duration_ms));
    add(cv.t("col.talk"), cv.duration(call.talk_ms));
    /* The remaining journal fields, under their API names. */
    const shown = new Set(["started_at", "direction", "caller", "callee", "status", "sip_code", "reason",
      "duration_ms", "talk_ms", "streams", "events", "recording", "comment", "outcome", "tags"]);
    for (const [name, value] of Object.entries(call)) {
      if (shown.has(name) || value === null || value === "" || (Array.isArray(value) && !value.length)) continue;
      let text = value;
      if (name.endsWith("_at")) text = cv.dateTime(value);
      else if (name.endsWith("_ms")) text = cv.duration(value);
      else if (Array.isArray(value)) text = value.join(", ");
      else if (typeof value === "number") text = cv.number(value);
      else if (typeof value === "boolean") text = cv.t(value ? "yes" : "no");
      add(name, String(text));
    }
    if (call.recording) {
      add("recording", `${call.recording.format} · ${call.recording.encoding} · ${cv.number(call.recording.sample_rate)} Hz · ${cv.duration(call.recording.duration_ms)}`);
    }
  }

  function streams(call) {
    const body = document.querySelector("#cv-streams tbody");
    for (const s of call.streams) {
      const jitter = s.jitter_mean_ms === null ? "—" : `${cv.number(s.jitter_mean_ms, 1)} / ${cv.number(s.jitter_max_ms, 1)}`;
      body.append(cv.el("tr", {},
        cv.el("td", {}, s.side ? cv.t(`call.lane_${s.side}`) : "—"),
        cv.el("td", {}, `${s.src_ip}:${s.src_port} → ${s.dst_ip}:${s.dst_port}`),
        cv.el("td", {}, s.codec || "—"),
        cv.el("td", { class: "cv-num" }, cv.number(s.packets)),
        cv.el("td", { class: "cv-num" }, cv.number(s.lost)),
        cv.el("td", { class: "cv-num" }, jitter),
        cv.el("td", { class: "cv-num" }, s.mos === null ? "—" : cv.number(s.mos, 2))));
    }
  }

  /* Where an event is in the recording, in seconds (the recording may start after the call). */
  function recordingSecond(call, event) {
    if (!call.recording || !call.recording.started_at) return null;
    return (Date.parse(event.at) - Date.parse(call.recording.started_at)) / 1000;
  }

  function events(call, seek) {
    const body = document.querySelector("#cv-events tbody");
    if (!call.events.length) {
      body.append(cv.el("tr", {}, cv.el("td", { colspan: "4" }, cv.t("call.no_events"))));
    }
    for (const e of call.events) {
      const at = cv.el("button", { type: "button", class: "secondary outline cv-compact", dataset: { offsetMs: e.offset_ms } },
        cv.clock((e.offset_ms || 0) / 1000));
      const second = recordingSecond(call, e);
      if (second === null) at.disabled = true;
      else at.addEventListener("click", () => seek(Math.max(0, second)));
      body.append(cv.el("tr", {}, cv.el("td", {}, at), cv.el("td", {}, e.kind),
        cv.el("td", {}, e.party ? cv.t(`call.lane_${e.party}`) : "—"), cv.el("td", {}, e.value || e.detail || "")));
    }
  }

  /* The server's peaks for a waveform this wide, as wavesurfer takes them (per channel,
     each bucket's minimum then maximum); null when they cannot be had (the browser then
     decodes the file itself). */
  async function serverPeaks(call, width) {
    const points = Math.max(200, Math.min(8000, Math.round(width * (window.devicePixelRatio || 1))));
    try {
      const peaks = await cv.api("GET", `/api/calls/${call.id}/recording/peaks?points=${points}`);
      if (!peaks.duration_s || !peaks.channels.length) return null;
      const channels = peaks.channels.map((channel) => {
        const both = new Float32Array(channel.min.length * 2);
        channel.min.forEach((low, i) => { both[2 * i] = low; both[2 * i + 1] = channel.max[i]; });
        return both;
      });
      return { channels, duration: peaks.duration_s, silences: peaks.silences };
    } catch (failure) {
      return null;
    }
  }

  /* Skip-silence: while on and playing, a position inside a silent span jumps to its end. */
  function skipSilence(ws, silences, seek) {
    const button = document.getElementById("cv-skip-silence");
    const note = document.getElementById("cv-silences");
    if (!silences.length) {
      button.disabled = true;
    } else {
      const total = silences.reduce((sum, span) => sum + span.end_s - span.start_s, 0);
      note.textContent = cv.t("journal_extras.silences", { count: cv.number(silences.length), seconds: cv.number(total, 1) });
    }
    const toggle = () => {
      if (button.disabled) return;
      button.setAttribute("aria-pressed", String(button.getAttribute("aria-pressed") !== "true"));
    };
    button.addEventListener("click", toggle);
    ws.on("timeupdate", (seconds) => {
      if (button.getAttribute("aria-pressed") !== "true" || !ws.isPlaying()) return;
      const span = silences.find((s) => seconds >= s.start_s && seconds < s.end_s - 0.05);
      if (span) {
        seek(span.end_s);
        document.getElementById("cv-waveform").dataset.skipped = String(span.start_s);
      }
    });
    return toggle;
  }

  async function player(call) {
    const section = document.getElementById("cv-player");
    if (!call.recording) {
      const note = document.getElementById("cv-no-recording");
      note.textContent = cv.t("call.no_recording", { why: call.audio_issue || "—" });
      note.hidden = false;
      return () => {};
    }
    section.hidden = false;
    const waveform = document.getElementById("cv-waveform");
    const peaks = await serverPeaks(call, waveform.clientWidth || 800);
    const play = document.getElementById("cv-play");
    const position = document.getElementById("cv-position");
    const speed = document.getElementById("cv-speed");
    const lane = (wave, progress) => ({ waveColor: wave, progressColor: progress, height: 72 });
    const ws = WaveSurfer.create({
      container: waveform,
      url: `/api/calls/${call.id}/recording`,
      ...(peaks ? { peaks: peaks.channels, duration: peaks.duration } : {}),
      splitChannels: [lane("#3b82f6", "#1e3a8a"), lane("#22c55e", "#14532d")],
      normalize: true,
      cursorColor: "#dc2626",
      cspNonce: cv.meta("csp-nonce"),
      plugins: [WaveSurfer.Timeline.create({ container: "#cv-timeline" })],
    });
    /* The call's events as markers on the waveform (DTMF, hold, transfer, quality…). */
    const regions = ws.registerPlugin(WaveSurfer.Regions.create());
    waveform.dataset.peaks = peaks ? "server" : "browser";
    /* Seeks that wait for one in flight: a streamed recording may still be seeking (a click,
       a key) when the next seek comes, and the media element would settle on the first. */
    const media = ws.getMediaElement();
    let wanted = null;
    const seek = (seconds) => {
      const total = ws.getDuration();
      wanted = Math.max(0, total ? Math.min(seconds, total) : seconds);
      ws.setTime(wanted);
    };
    const now = () => (wanted === null ? ws.getCurrentTime() : wanted);
    if (media) {
      media.addEventListener("seeked", () => {
        if (wanted !== null && Math.abs(media.currentTime - wanted) > 0.05) ws.setTime(wanted);
        else wanted = null;
      });
    }
    ws.on("interaction", () => { wanted = null; });
    const toggleSkip = skipSilence(ws, peaks ? peaks.silences : [], seek);
    ws.once("decode", () => {
      for (const e of call.events) {
        const second = recordingSecond(call, e);
        if (second === null || second < 0 || second > ws.getDuration()) continue;
        const label = cv.el("span", { class: "cv-marker", title: `${e.kind} ${e.value || ""}`.trim() },
          e.kind === "dtmf" && e.value ? e.value : e.kind);
        regions.addRegion({ start: second, content: label, color: "#dc2626", drag: false, resize: false });
      }
      waveform.dataset.markers = String(regions.getRegions().length);
    });
    const show = (seconds) => {
      const total = ws.getDuration() || 0;
      position.textContent = `${cv.clock(seconds)} / ${cv.clock(total)}`;
      position.dataset.seconds = seconds.toFixed(3);
      waveform.setAttribute("aria-valuenow", String(Math.floor(seconds)));
      waveform.setAttribute("aria-valuemax", String(Math.floor(total)));
      waveform.setAttribute("aria-valuetext", position.textContent);
    };
    ws.on("ready", (seconds) => {
      section.dataset.ready = "true"; position.dataset.duration = String(seconds); show(0);
      /* Other panels of the page (quality review…) reach the player through this event. */
      document.dispatchEvent(new CustomEvent("cv:player-ready", { detail: {
        call, wavesurfer: ws, regions, seek, time: now,
      } }));
    });
    ws.on("timeupdate", show);
    ws.on("play", () => { play.textContent = play.dataset.pause; section.dataset.playing = "true"; });
    ws.on("pause", () => { play.textContent = play.dataset.play; section.dataset.playing = "false"; });
    ws.on("error", (error) => cv.status(cv.t("player.error", { error: String(error && error.message || error) }), true));
    play.addEventListener("click", () => ws.playPause());
    document.getElementById("cv-back").addEventListener("click", () => seek(now() - 5));
    document.getElementById("cv-forward").addEventListener("click", () => seek(now() + 5));
    speed.addEventListener("change", () => ws.setPlaybackRate(Number(speed.value), true));
    const stepSpeed = (step) => {
      const index = SPEEDS.indexOf(Number(speed.value));
      speed.value = String(SPEEDS[Math.min(SPEEDS.length - 1, Math.max(0, index + step))]);
      speed.dispatchEvent(new Event("change"));
    };
    document.addEventListener("keydown", (event) => {
      const target = event.target;
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (target.closest("input, textarea, select, [contenteditable]")) return;
      if (target.closest("button, a") && (event.key === " " || event.key === "Enter")) return;
      switch (event.key) {
        case " ": ws.playPause(); break;
        case "ArrowLeft": seek(now() - 5); break;
        case "ArrowRight": seek(now() + 5); break;
        case "[": stepSpeed(-1); break;
        case "]": stepSpeed(1); break;
        case "Home": seek(0); break;
        case "s": case "S": toggleSkip(); break;
        default: return;
      }
      event.preventDefault();
    });
    return seek;
  }

  function annotate(call) {
    const form = document.getElementById("cv-annotate");
    if (!form) return;
    form.elements.comment.value = call.comment || "";
    form.elements.outcome.value = call.outcome || "";
    form.elements.tags.value = (call.tags || []).join(", ");
    const note = document.getElementById("cv-save-status");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      note.classList.remove("cv-error");
      const tags = form.elements.tags.value.split(",").map((tag) => tag.trim()).filter(Boolean);
      try {
        const saved = await cv.api("PATCH", `/api/calls/${call.id}`, {
          comment: form.elements.comment.value || null,
          outcome: form.elements.outcome.value || null,
          tags,
        });
        form.elements.outcome.value = saved.outcome || "";
        note.textContent = cv.t("call.saved");
      } catch (failure) {
        note.textContent = cv.t("error.generic", { error: failure.message });
        note.classList.add("cv-error");
      }
    });
  }

  async function history(call) {
    const list = document.getElementById("cv-history");
    const number = clientNumber(call);
    if (!number) return;
    const page = await cv.api("GET", `/api/clients/${encodeURIComponent(number)}/calls?limit=20&count=none`);
    const others = page.data.filter((other) => other.id !== call.id);
    if (!others.length) list.append(cv.el("li", {}, cv.t("call.no_history")));
    for (const other of others) {
      list.append(cv.el("li", {},
        cv.el("a", { href: `/calls/${other.id}` }, cv.dateTime(other.started_at)),
        ` · ${cv.t(`direction.${other.direction}`)} · ${cv.t(`status.${other.status}`)} · ${cv.duration(other.duration_ms)}`,
        other.outcome ? ` · ${other.outcome}` : ""));
    }
  }

  document.addEventListener("DOMContentLoaded", async () => {
    const ref = document.getElementById("cv-call").dataset.ref;
    try {
      const call = await cv.api("GET", `/api/calls/${encodeURIComponent(ref)}`);
      cv.status("");
      fields(call);
      streams(call);
      const seek = await player(call);
      events(call, seek);
      annotate(call);
      document.getElementById("cv-call").dataset.loaded = "true";
      await history(call);
    } catch (failure) {
      cv.status(failure.status === 404 ? cv.t("call.not_found") : cv.t("error.generic", { error: failure.message }), true);
    }
  });
})();
