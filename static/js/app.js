// Lotse's web app: four screens (destination, route preview, guidance, settings) in one page, switched by the URL
// hash, one module each in screens/. Made for VoiceOver and TalkBack first: focus moves to each new screen's heading,
// progress is announced politely, warnings and "now" instructions assertively, and nothing needs the map.

import { applyTranslations, loadLanguage } from "./i18n.js";
import { state } from "./screens/common.js";
import { renderChosen, renderLists } from "./screens/destination.js";
import { translateGuide } from "./screens/guide.js";
import { screenFromHash, showScreen, updateTitle } from "./screens/navigation.js";
import { renderPreview } from "./screens/preview.js";
import { fillSettingsForm, loadProfileChoices, onLanguageChanged } from "./screens/settings.js";

function translateAll() {
  applyTranslations();
  fillSettingsForm();
  renderLists();
  renderChosen();
  if (state.route) renderPreview();
  translateGuide();
  updateTitle();
}

async function init() {
  onLanguageChanged(translateAll);
  await loadLanguage(state.settings.lang);
  translateAll();
  loadProfileChoices();
  window.addEventListener("hashchange", () => showScreen(screenFromHash()));
  showScreen(screenFromHash(), { focus: false });
  if ("serviceWorker" in navigator && location.protocol !== "file:") {
    navigator.serviceWorker.register("/sw.js").catch(() => {});
  }
}

init();
