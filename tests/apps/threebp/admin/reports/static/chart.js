document.title += " (reports)";
