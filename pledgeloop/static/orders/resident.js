/* pledgeloop resident pages: small helpers on top of pages that work without them.
 *  - (长辈模式 is elder.js's, shared with the public pages);
 *  - "use my location": the phone's position picks the nearest building (never sent);
 *  - the community plan: a tap sets the point and picks the nearest building;
 *  - a large photo is shrunk on the phone before it is sent (weak connections, 5 MB cap;
 *    the photo's big button, what was chosen and "remove" are photo-pick.js's);
 *  - an order without a photo is sent as a plain form, not multipart.
 * No outside services, no pop-ups. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function $(id) { return document.getElementById(id); }

  // --- nearest building ----------------------------------------------------------------
  var select = $("id_site");

  function metres(lat1, lng1, lat2, lng2) {
    var rad = Math.PI / 180, dLat = (lat2 - lat1) * rad, dLng = (lng2 - lng1) * rad;
    var a = Math.sin(dLat / 2) * Math.sin(dLat / 2) +
      Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLng / 2) * Math.sin(dLng / 2);
    return 2 * 6371008.8 * Math.asin(Math.sqrt(a));
  }

  function pickNearest(lat, lng) {
    if (!select) { return null; }
    var best = null, bestDistance = Infinity;
    Array.prototype.forEach.call(select.options, function (option) {
      if (!option.dataset.lat) { return; }
      var d = metres(lat, lng, parseFloat(option.dataset.lat), parseFloat(option.dataset.lng));
      // A building beats its own compound at the same spot.
      if (d < bestDistance - 1) { best = option; bestDistance = d; }
    });
    if (best) { select.value = best.value; }
    return best;
  }

  function say(element, template, place) {
    if (element) { element.textContent = template.replace("{place}", place || ""); }
  }

  var locate = $("locate"), note = $("locate-note");
  if (locate && navigator.geolocation) {
    locate.classList.add("ready");
    locate.addEventListener("click", function () {
      say(note, locate.dataset.busy);
      navigator.geolocation.getCurrentPosition(function (position) {
        var best = pickNearest(position.coords.latitude, position.coords.longitude);
        say(note, best ? locate.dataset.found : locate.dataset.failed, best && best.textContent);
      }, function () {
        say(note, locate.dataset.failed);
      }, { enableHighAccuracy: true, timeout: 12000, maximumAge: 60000 });
    });
  }

  // --- the community plan ----------------------------------------------------------------
  var map = $("site-map"), pin = $("map-pin");
  var latInput = $("id_latitude"), lngInput = $("id_longitude");
  if (map && pin && latInput && lngInput) {
    var south = parseFloat(map.dataset.south), west = parseFloat(map.dataset.west);
    var span = parseFloat(map.dataset.span), squash = parseFloat(map.dataset.squash);
    var place = function (x, y) {
      pin.setAttribute("transform", "translate(" + x.toFixed(2) + " " + y.toFixed(2) + ")");
      pin.classList.add("shown");
    };
    if (latInput.value && lngInput.value) {
      place((parseFloat(lngInput.value) - west) * squash / span * 100,
        (1 - (parseFloat(latInput.value) - south) / span) * 100);
    }
    map.addEventListener("click", function (event) {
      var point = map.createSVGPoint();
      point.x = event.clientX;
      point.y = event.clientY;
      var local = point.matrixTransform(map.getScreenCTM().inverse());
      var x = Math.min(100, Math.max(0, local.x)), y = Math.min(100, Math.max(0, local.y));
      var lat = south + (1 - y / 100) * span, lng = west + (x / 100) * span / squash;
      latInput.value = lat.toFixed(6);
      lngInput.value = lng.toFixed(6);
      place(x, y);
      var best = pickNearest(lat, lng);
      if (best && locate) { say(note, locate.dataset.found, best.textContent); }
    });
  }

  // --- photo: the big button and its line are photo-pick.js's; a note of ours goes too -----
  var photo = $("id_photo"), photoNote = $("photo-note"), photoRemove = $("photo-remove");
  if (photoRemove && photoNote) {
    photoRemove.addEventListener("click", function () { photoNote.hidden = true; });
  }

  // --- photo: shrink a big one on the phone ------------------------------------------------
  var SHRINK_ABOVE = 1500000, LONG_SIDE = 2048;
  if (photo && window.DataTransfer && window.createImageBitmap && HTMLCanvasElement.prototype.toBlob) {
    photo.addEventListener("change", function () {
      var file = photo.files && photo.files[0];
      if (photoNote) { photoNote.hidden = true; }
      if (!file || file.size <= SHRINK_ABOVE || !/^image\/(jpeg|png|webp)$/.test(file.type)) {
        return;
      }
      createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
        var scale = Math.min(1, LONG_SIDE / Math.max(bitmap.width, bitmap.height));
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(bitmap.width * scale);
        canvas.height = Math.round(bitmap.height * scale);
        canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        canvas.toBlob(function (blob) {
          if (!blob || blob.size >= file.size) { return; }
          var name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
          var transfer = new DataTransfer();
          transfer.items.add(new File([blob], name, { type: "image/jpeg" }));
          photo.files = transfer.files;
          if (window.photoPick) { window.photoPick.show(photo); }
        }, "image/jpeg", 0.85);
      }).catch(function () {
        // Keep the original file; the server checks it and says what is wrong.
        var max = parseInt(photo.dataset.maxBytes, 10);
        if (photoNote && file.size > max) {
          photoNote.textContent = photo.dataset.tooBig;
          photoNote.hidden = false;
        }
      });
    });
  }

  // --- no photo, no multipart -------------------------------------------------------------
  // The form says multipart/form-data, which a photo needs and which works without this
  // script. Without a photo the browser sends the same fields urlencoded: fewer bytes on a
  // weak connection, and a body the server reads for a sixth of the CPU (issue 17). The
  // browser reads the form's enctype after its submit event, so setting it here is enough.
  var intake = $("intake");
  if (intake && photo) {
    intake.addEventListener("submit", function () {
      intake.enctype = photo.files && photo.files.length
        ? "multipart/form-data"
        : "application/x-www-form-urlencoded";
    });
  }
})();
