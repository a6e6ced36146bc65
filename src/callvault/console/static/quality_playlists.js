/* Training playlists: the list; a playlist's calls in order, played one after the other in
   one audio element (each from its start to its end offset, when set); managers create
   playlists and remove items (calls are added from a call's page). */
"use strict";
(function () {
  let current = null, playing = -1;
  const audio = () => document.getElementById("cv-playlist-audio");

  function span(item) {
    if (item.start_s === null && item.end_s === null) return "";
    return ` ${cv.clock(item.start_s || 0)}–${item.end_s === null ? "" : cv.clock(item.end_s)}`;
  }

  function play(index) {
    const items = current ? current.items : [];
    const player = audio();
    document.querySelectorAll("#cv-playlist-items li").forEach((li, i) => li.toggleAttribute("aria-current", i === index));
    if (index < 0 || index >= items.length) {
      playing = -1;
      player.pause();
      document.getElementById("cv-playlist-now").textContent = cv.t("quality.playlist_done");
      player.dataset.playing = "";
      return;
    }
    playing = index;
    const item = items[index];
    player.dataset.playing = String(item.id);
    document.getElementById("cv-playlist-now").textContent =
      cv.t("quality.now_playing", { n: index + 1, total: items.length, uid: item.call.uid });
    player.src = `/api/calls/${item.call.id}/recording`;
    player.addEventListener("loadedmetadata", () => {
      if (item.start_s) player.currentTime = item.start_s;
    }, { once: true });
    player.play().catch(() => {});
  }

  function show(playlist) {
    current = playlist;
    const box = document.getElementById("cv-playlist");
    document.getElementById("cv-playlist-title").textContent = playlist.name;
    document.getElementById("cv-playlist-description-text").textContent = playlist.description || "";
    const list = document.getElementById("cv-playlist-items");
    list.replaceChildren();
    const manage = box.dataset.manage === "true";
    playlist.items.forEach((item, index) => {
      const go = cv.el("button", { type: "button", class: "secondary outline cv-compact" }, "▶");
      go.addEventListener("click", () => play(index));
      const li = cv.el("li", { dataset: { item: String(item.id), call: item.call.uid } }, go, " ",
        cv.el("a", { href: `/calls/${item.call.id}` }, item.call.uid), span(item),
        item.call.recorded ? "" : ` (${cv.t("quality.not_recorded")})`, item.note ? ` — ${item.note}` : "");
      if (manage) {
        const button = (text, label) => cv.el("button", { type: "button", class: "secondary outline cv-compact", "aria-label": label, title: label }, text);
        const up = button("↑", cv.t("quality.move_up"));
        const down = button("↓", cv.t("quality.move_down"));
        const remove = button(cv.t("quality.remove"), cv.t("quality.remove"));
        up.disabled = index === 0;
        down.disabled = index === playlist.items.length - 1;
        const move = async (position) => {
          show((await cv.api("PATCH", `/api/quality/playlists/${playlist.id}/items/${item.id}`, { position })).data);
        };
        up.addEventListener("click", () => move(index - 1));
        down.addEventListener("click", () => move(index + 1));
        remove.addEventListener("click", async () => {
          await cv.api("DELETE", `/api/quality/playlists/${playlist.id}/items/${item.id}`);
          show((await cv.api("GET", `/api/quality/playlists/${playlist.id}`)).data);
        });
        li.append(" ", up, down, " ", remove);
      }
      list.append(li);
    });
    const hidden = document.getElementById("cv-playlist-hidden");
    hidden.hidden = !playlist.hidden;
    hidden.textContent = cv.t("quality.playlist_hidden", { count: playlist.hidden });
    document.getElementById("cv-playlist-play").disabled = !playlist.items.length;
    box.hidden = false;
    box.dataset.playlist = String(playlist.id);
  }

  async function load(select) {
    const found = (await cv.api("GET", "/api/quality/playlists")).data;
    const list = document.getElementById("cv-playlists");
    list.replaceChildren();
    for (const playlist of found) {
      const open = cv.el("a", { href: `#playlist-${playlist.id}` }, playlist.name);
      open.addEventListener("click", () => show(playlist));
      list.append(cv.el("li", { dataset: { playlist: String(playlist.id) } }, open, ` (${cv.number(playlist.items.length)})`));
    }
    cv.status(found.length ? cv.t("quality.playlist_count", { count: cv.number(found.length) }) : cv.t("quality.no_playlists"));
    const wanted = select || Number((location.hash.match(/^#playlist-(\d+)$/) || [])[1]);
    const chosen = found.find((p) => p.id === wanted);
    if (chosen) show(chosen);
    list.dataset.loaded = "true";
  }

  document.addEventListener("DOMContentLoaded", () => {
    const player = audio();
    /* Each item ends at its end offset, or with its recording; then the next one plays. */
    player.addEventListener("timeupdate", () => {
      const item = current && current.items[playing];
      if (item && item.end_s !== null && player.currentTime >= item.end_s) play(playing + 1);
    });
    player.addEventListener("ended", () => { if (playing >= 0) play(playing + 1); });
    document.getElementById("cv-playlist-play").addEventListener("click", () => play(0));
    const form = document.getElementById("cv-playlist-form");
    if (form) {
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        try {
          const made = (await cv.api("POST", "/api/quality/playlists", {
            name: document.getElementById("cv-playlist-name").value,
            description: document.getElementById("cv-playlist-description").value || null,
          })).data;
          form.reset();
          await load(made.id);
        } catch (failure) { cv.status(cv.t("error.generic", { error: failure.message }), true); }
      });
    }
    load().catch((failure) => cv.status(cv.t("error.generic", { error: failure.message }), true));
  });
})();
