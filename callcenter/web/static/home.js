"use strict";
(async () => {
  const me = await CC.start("home");
  location.replace(me.role === "supervisor" ? "/wallboard" : "/desk");
})();
