"""The phone's spoken-output queue (static/js/output.js) in real Chromium: priorities, nothing cut off, stale
"prepare" messages dropped, server audio falling back to the device voice, and live-region lines kept until read."""

from __future__ import annotations

import pytest

from tests.browser.helpers import choose_destination, plan, route_points, walk

# Runs the real Output in the page with the page's live regions and the given output setting; records what the
# device voice was asked to say and whether anything was cancelled (browser APIs observed, our code untouched).
SETUP = """async (output) => {
  const { Output } = await import('/static/js/output.js');
  window.__spoken = []; window.__cancelled = 0; window.__region = [];
  // One observer over both live regions: what a screen reader is given, in the order given.
  new MutationObserver((records) => {
    for (const record of records) for (const node of record.addedNodes) window.__region.push(node.textContent);
  }).observe(document.body, { childList: true, subtree: true });
  const speak = speechSynthesis.speak.bind(speechSynthesis);
  speechSynthesis.speak = (utterance) => {
    window.__spoken.push(utterance.text);
    speak(utterance);
    setTimeout(() => utterance.dispatchEvent(new Event('end')), 50);  // headless Chromium has no voice to finish
  };
  const cancel = speechSynthesis.cancel.bind(speechSynthesis);
  speechSynthesis.cancel = () => { window.__cancelled += 1; cancel(); };
  window.__output = new Output({
    polite: document.getElementById('live-polite'), assertive: document.getElementById('live-assertive'),
    settings: () => ({ output, rate: 1 }),
  });
}"""


def test_warnings_and_now_go_first_and_nothing_is_pushed_out_before_read(open_app):
    page = open_app("de")
    page.evaluate(SETUP, "screenreader")
    page.evaluate("""() => {
      for (let n = 1; n <= 3; n++) window.__output.say(`Vorbereitung ${n}`, { kind: 'prepare' });
      window.__output.say('Landmarke', { kind: 'info' });
      window.__output.say('Jetzt rechts', { kind: 'now' });
      window.__output.say('Gebiet', { kind: 'info' });
      window.__output.say('Achtung Kreuzung', { kind: 'warning' });
      for (let n = 4; n <= 5; n++) window.__output.say(`Vorbereitung ${n}`, { kind: 'prepare' });
    }""")
    page.wait_for_function("window.__region.length >= 9")
    texts = page.evaluate("window.__region")
    assert texts[:2] == ["Jetzt rechts", "Achtung Kreuzung"]  # urgent first, in the order they came
    assert texts[2:] == ["Vorbereitung 1", "Vorbereitung 2", "Vorbereitung 3", "Landmarke", "Gebiet",
                         "Vorbereitung 4", "Vorbereitung 5"]
    kept = page.evaluate("[...document.querySelectorAll('#live-polite p, #live-assertive p')].length")
    assert kept >= 9  # none pushed out before it was read


def test_the_device_voice_says_every_instruction_in_full_and_drops_only_passed_prepares(open_app):
    page = open_app("de")
    page.evaluate(SETUP, "voice")
    page.evaluate("""() => {
      window.__passed = false;
      window.__output.say('Biegen Sie rechts ab', { kind: 'now' });
      window.__output.say('In 30 Metern: links', { kind: 'prepare', stale: () => window.__passed });
      window.__output.say('Sie betreten einen Platz', { kind: 'info' });
      window.__output.say('Achtung, Kreuzung', { kind: 'warning' });
      window.__output.say('In 40 Metern: rechts', { kind: 'prepare', stale: () => false });
      window.__passed = true;  // the walker passes the first prepare's spot while the others are said
    }""")
    page.wait_for_function("window.__spoken.length >= 4")
    page.wait_for_timeout(400)
    assert page.evaluate("window.__spoken") == ["Biegen Sie rechts ab", "Achtung, Kreuzung", "Sie betreten einen Platz",
                                                "In 40 Metern: rechts"]
    assert page.evaluate("window.__cancelled") == 0  # nothing was cut off by its neighbour


def test_server_audio_that_fails_falls_back_to_the_device_voice(open_app):
    page = open_app("de")
    page.evaluate(SETUP, "server")
    page.evaluate("""() => {
      window.__output.say('Biegen Sie links ab', { kind: 'now', audioUrl: '/api/speech-missing?x=1' });
      window.__output.say('Gehen Sie geradeaus', { kind: 'now', audioUrl: '/api/speech-missing?x=2' });
    }""")
    page.wait_for_function("window.__spoken.includes('Gehen Sie geradeaus')")
    spoken = page.evaluate("window.__spoken")
    assert spoken.index("Biegen Sie links ab") < spoken.index("Gehen Sie geradeaus")


# Before the app loads: in the order heard, each text the device voice was asked to say and each server audio
# played, and whether it played to its end or was cut (paused, failed) before; whether anything was cancelled.
# Headless Chromium has no voice to finish an utterance: its end is reported after a moment, as a phone's would be.
WALK_PROBE = """
window.__heard = []; window.__cancelled = 0; window.__speaking = 0;
const hear = (text, via) => {
  const entry = { text, via, ended: false, cut: false };
  window.__heard.push(entry);
  window.__speaking += 1;
  return (ended) => {
    if (entry.ended || entry.cut) return;
    entry.ended = ended; entry.cut = !ended; window.__speaking -= 1;
  };
};
const speak = speechSynthesis.speak.bind(speechSynthesis);
speechSynthesis.speak = (utterance) => {
  const settle = hear(utterance.text, 'voice');
  speak(utterance);
  setTimeout(() => { settle(true); utterance.dispatchEvent(new Event('end')); }, 40);
};
const cancel = speechSynthesis.cancel.bind(speechSynthesis);
speechSynthesis.cancel = () => { window.__cancelled += 1; cancel(); };
const play = HTMLMediaElement.prototype.play;
HTMLMediaElement.prototype.play = function () {
  const settle = hear(new URL(this.src).searchParams.get('text'), 'audio');
  this.addEventListener('ended', () => settle(true));
  this.addEventListener('pause', () => { if (!this.ended) settle(false); });
  this.addEventListener('error', () => settle(false));
  return play.call(this).catch((error) => { settle(false); throw error; });
};
"""
IDLE = "() => window.__speaking === 0"
HEARD = "window.__heard.filter(h => h.ended).map(h => h.text)"


def _guided_walk(open_app, output: str) -> tuple[object, dict, dict]:
    """Plan and walk a whole route in the app with `output` (voice or server), the connection dropping just after
    the first turn's "now" and coming back at once; returns the page, the route and the turn."""
    page = open_app("de")
    page.context.add_init_script(WALK_PROBE)
    # rate 4: the server's audio plays four times as fast, so the walk takes seconds, not minutes.
    page.evaluate("(output) => localStorage.setItem('lotse.settings', JSON.stringify({ output, rate: '4' }))", output)
    page.reload()
    page.wait_for_function("document.querySelector('[data-i18n=plan_route]').textContent.length > 0")
    choose_destination(page)
    route = plan(page)
    turn = next(i for i in route["instructions"] if i["type"] == "turn")
    page.click("#start-guidance")
    page.wait_for_selector("#screen-guide:not([hidden])")
    dropped = False

    def before_each(_: int) -> None:
        # A walker is slower than speech: each fix comes once what was said before has ended.
        nonlocal dropped
        page.wait_for_function(IDLE, timeout=30_000)
        if not dropped and turn["text"] in page.evaluate(HEARD):  # mid-turn: the connection drops and returns
            dropped = True
            page.context.set_offline(True)
            page.wait_for_timeout(300)
            page.context.set_offline(False)
            page.wait_for_function("document.getElementById('connection').dataset.state === 'online'",
                                   timeout=20_000)

    walk(page, route_points(route), before_each=before_each)
    page.wait_for_function(f"(text) => {HEARD}.includes(text)", arg=route["instructions"][-1]["text"],
                           timeout=30_000)
    page.wait_for_function(IDLE, timeout=30_000)
    assert dropped, "the walk should reach its first turn"
    return page, route, turn


@pytest.mark.parametrize("output", ["voice", "server"])
def test_every_instruction_of_a_walk_is_spoken_in_full_across_a_reconnect_mid_turn(open_app, output):
    page, route, turn = _guided_walk(open_app, output)
    heard = page.evaluate("window.__heard")
    assert [h for h in heard if h["cut"] and h["via"] == "voice"] == []
    assert page.evaluate("window.__cancelled") == 0, "something was cut off"
    if output == "server":
        # The server's audio said the route, each to its end; the device voice only what came while offline.
        instructions = {i["text"] for i in route["instructions"]}
        by_audio = [h for h in heard if h["via"] == "audio" and h["text"] in instructions]
        assert by_audio and all(h["ended"] for h in by_audio)
    else:
        assert {h["via"] for h in heard} == {"voice"}
    spoken = [h["text"] for h in heard if h["ended"]]
    expected = [i["text"] for i in route["instructions"] if i["type"] != "landmark"]
    assert [text for text in expected if text not in spoken] == []
    # Said once, across the reconnect at the turn: the phone sent what it had said, the server did not repeat it.
    assert spoken.count(turn["text"]) == 1
    assert spoken[-1] == route["instructions"][-1]["text"]  # nothing after the arrival
    assert not page.errors


def test_a_turn_an_area_and_a_crossing_at_one_spot_are_each_played_in_full_by_the_server_voice(open_app):
    page = open_app("de")
    page.context.add_init_script(WALK_PROBE)
    page.reload()
    page.wait_for_function("document.querySelector('[data-i18n=plan_route]').textContent.length > 0")
    page.evaluate("""async () => {
      const { Output } = await import('/static/js/output.js');
      const output = new Output({
        polite: document.getElementById('live-polite'), assertive: document.getElementById('live-assertive'),
        settings: () => ({ output: 'server', rate: 4 }),
      });
      output.say('Sie betreten einen Platz', { kind: 'info' });
      output.say('Biegen Sie rechts ab', { kind: 'now' });
      output.say('Achtung, Kreuzung ohne Ampel', { kind: 'warning' });
    }""")
    page.wait_for_function("window.__heard.length >= 3 && window.__speaking === 0", timeout=20_000)
    heard = page.evaluate("window.__heard")
    assert [(h["text"], h["via"], h["ended"]) for h in heard] == [
        ("Biegen Sie rechts ab", "audio", True), ("Achtung, Kreuzung ohne Ampel", "audio", True),
        ("Sie betreten einen Platz", "audio", True)]
