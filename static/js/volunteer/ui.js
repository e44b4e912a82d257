// Small helpers shared by the volunteer screens: live announcements, error boxes, building elements.

import { ApiError } from "./api.js";

export const $ = (id) => document.getElementById(id);
const KEEP_IN_REGION = 4;

/** Say a text through a live region: polite for results and progress, assertive only for errors. */
export function announce(text, { urgent = false } = {}) {
  const region = $(urgent ? "live-assertive" : "live-polite");
  const line = document.createElement("p");
  line.textContent = text;
  region.append(line);
  while (region.childElementCount > KEEP_IN_REGION) region.firstElementChild.remove();
}

/**
 * Show an error in the screen's error box and announce it assertively. The server's message is shown as it came
 * (it is already in the UI language). `field`: the input at fault, marked invalid, described by the error and focused.
 */
export function showError(screen, error, field = null) {
  const box = $(`${screen}-error`);
  const message = error instanceof ApiError || error instanceof Error ? error.message : String(error);
  box.textContent = message;
  box.hidden = false;
  box.dataset.code = error instanceof ApiError ? error.code : "client";
  if (field) {
    field.setAttribute("aria-invalid", "true");
    const described = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (!described.includes(box.id)) field.setAttribute("aria-describedby", [box.id, ...described].join(" "));
    field.focus();
  }
  announce(message, { urgent: true });
}

export function clearError(screen) {
  const box = $(`${screen}-error`);
  box.hidden = true;
  box.textContent = "";
  delete box.dataset.code;
  for (const field of document.querySelectorAll(`[aria-describedby~="${box.id}"]`)) {
    field.removeAttribute("aria-invalid");
    const rest = field.getAttribute("aria-describedby").split(" ").filter((id) => id && id !== box.id);
    if (rest.length) field.setAttribute("aria-describedby", rest.join(" "));
    else field.removeAttribute("aria-describedby");
  }
}

/** document.createElement with properties, attributes ({attrs}) and children. */
export function el(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  const { attrs = {}, ...rest } = props;
  Object.assign(element, rest);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, value);
  element.append(...children.filter((child) => child !== null && child !== undefined));
  return element;
}
