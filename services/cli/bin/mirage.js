#!/usr/bin/env node
// npm links bins before `prepare` builds dist/ and silently skips a bin whose file is missing
// (npm 11), so the bin is this committed file and the program is imported from the build.
import "../dist/main.js";
