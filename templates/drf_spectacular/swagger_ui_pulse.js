{% include "drf_spectacular/swagger_ui.js" %}
// Pulse follows the system's colour scheme; Swagger UI darkens when its html has "dark-mode".
const pulseDarkScheme = window.matchMedia("(prefers-color-scheme: dark)");
const pulseFollowScheme = () => document.documentElement.classList.toggle("dark-mode", pulseDarkScheme.matches);
pulseFollowScheme();
pulseDarkScheme.addEventListener("change", pulseFollowScheme);
