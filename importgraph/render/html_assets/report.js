/* importgraph HTML report: wires the precomputed vis-network drawing to the search box, filters, findings
 * table, tooltips and details panel. Every piece of analysed data is inserted with textContent, never as
 * markup. Exposes window.igReport for tests and benchmarks. */
(function () {
  "use strict";
  var byId = function (id) { return document.getElementById(id); };
  var parse = function (id) { return JSON.parse(byId(id).textContent); };
  var data = parse("ig-data");
  var options = parse("ig-options");
  var visNodes = parse("ig-nodes");
  var visEdges = parse("ig-edges");
  var style = data.style;
  var MAX_LIST = 200;

  // ------------------------------------------------------------------ indexes
  var nodeInfo = data.nodes;                       // [{key, kind, members: [module index]}], index = vis id
  var namesOfNode = nodeInfo.map(function () { return []; });
  data.names.forEach(function (entry, i) { if (entry[4] >= 0) namesOfNode[entry[4]].push(i); });
  var findingsOfNode = nodeInfo.map(function () { return []; });
  data.findings.forEach(function (f, i) { if (f.node >= 0) findingsOfNode[f.node].push(i); });
  var isExternal = nodeInfo.map(function (n) { return n.kind === "external"; });
  var baseColor = visNodes.map(function (n) { return n.color; });
  var kindColor = nodeInfo.map(function (n) {
    var s = style.kind[n.kind]; return {background: s.background, border: s.border};
  });

  // ------------------------------------------------------------------ the network
  var showExternals = byId("ig-externals").checked;
  var categoryOn = {};
  data.categories.forEach(function (c) { categoryOn[c] = true; });
  visNodes.forEach(function (n) { n.hidden = isExternal[n.id] && !showExternals; });
  visEdges.forEach(function (e, i) { e.id = i; e.hidden = edgeHidden(e); });
  var nodes = new vis.DataSet(visNodes);
  var edges = new vis.DataSet(visEdges);
  var container = byId("ig-graph");
  var network = new vis.Network(container, {nodes: nodes, edges: edges}, options);
  var api = window.igReport = {network: network, nodes: nodes, edges: edges, data: data, drawnAt: null,
                               ready: false};
  network.once("afterDrawing", function () {
    api.drawnAt = performance.now();
    api.ready = true;
    document.body.setAttribute("data-ready", "1");
  });

  function edgeHidden(e) {
    if (!categoryOn[e.cat]) return true;
    return !showExternals && (isExternal[e.from] || isExternal[e.to]);
  }

  // ------------------------------------------------------------------ small DOM helpers (text only)
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }
  function moduleName(i) { return i >= 0 ? data.modules[i][0] : "?"; }
  function modulePath(i) { return i >= 0 ? data.modules[i][1] : ""; }
  function backends(entry) { return data.backendSets[entry[3]]; }
  function describeName(entry) {
    var b = backends(entry);
    return entry[0] + " \u2192 " + moduleName(entry[2]) + (b.length ? " [" + b.join(", ") + "]" : "");
  }
  function nodePath(id) {
    var info = nodeInfo[id];
    for (var k = 0; k < info.members.length; k++) {
      var m = info.members[k];
      if (m >= 0 && data.modules[m][0] === info.key) return data.modules[m][1];
    }
    return info.members.length && info.members[0] >= 0 ? data.modules[info.members[0]][1] : "";
  }
  function findingText(f) { return f.rule + " " + f.name + ": " + f.message; }

  // ------------------------------------------------------------------ tooltip
  var tooltip = byId("ig-tooltip");
  network.on("hoverNode", function (params) {
    var id = params.node;
    var info = nodeInfo[id];
    tooltip.textContent = "";
    tooltip.appendChild(el("strong", info.key));
    tooltip.appendChild(el("div", style.kind[info.kind].label + (nodePath(id) ? " \u00b7 " + nodePath(id) : "")));
    if (info.members.length > 1) tooltip.appendChild(el("div", info.members.length + " modules collapsed here"));
    var names = namesOfNode[id];
    if (names.length) {
      tooltip.appendChild(el("div", names.length + " lazy names (name \u2192 module [backends]):"));
      var ul = el("ul");
      names.slice(0, 10).forEach(function (i) { ul.appendChild(el("li", describeName(data.names[i]))); });
      if (names.length > 10) ul.appendChild(el("li", "\u2026 " + (names.length - 10) + " more (click the node)"));
      tooltip.appendChild(ul);
    }
    var fs = findingsOfNode[id];
    if (fs.length) {
      tooltip.appendChild(el("div", fs.length + " findings:"));
      var fl = el("ul");
      fs.slice(0, 5).forEach(function (i) { fl.appendChild(el("li", findingText(data.findings[i]))); });
      if (fs.length > 5) fl.appendChild(el("li", "\u2026 " + (fs.length - 5) + " more"));
      tooltip.appendChild(fl);
    }
    var box = container.getBoundingClientRect(), main = byId("ig-main").getBoundingClientRect();
    var x = params.pointer.DOM.x + box.left - main.left + 14, y = params.pointer.DOM.y + box.top - main.top + 14;
    tooltip.style.left = Math.min(x, main.width - 470) + "px";
    tooltip.style.top = Math.min(y, main.height - 40) + "px";
    tooltip.hidden = false;
  });
  network.on("blurNode", function () { tooltip.hidden = true; });
  network.on("dragStart", function () { tooltip.hidden = true; });

  // ------------------------------------------------------------------ details panel + selection
  function list(parent, title, items, render) {
    if (!items.length) return;
    parent.appendChild(el("h3", title + " (" + items.length + ")"));
    var ul = el("ul");
    items.slice(0, MAX_LIST).forEach(function (item) { ul.appendChild(el("li", render(item))); });
    if (items.length > MAX_LIST) ul.appendChild(el("li", "\u2026 " + (items.length - MAX_LIST) + " more"));
    parent.appendChild(ul);
  }
  function showDetails(id, highlightName) {
    var info = nodeInfo[id];
    var body = byId("ig-details-body");
    byId("ig-details").hidden = false;
    byId("ig-details-title").textContent = info.key;
    body.textContent = "";
    body.appendChild(el("p", style.kind[info.kind].label + (nodePath(id) ? " \u00b7 " + nodePath(id) : "")));
    if (highlightName !== undefined) body.appendChild(el("p", "lazy name: " + describeName(data.names[highlightName]), "found"));
    list(body, "Findings", findingsOfNode[id], function (i) {
      var f = data.findings[i]; return findingText(f) + " (" + f.path + ":" + f.line + ")";
    });
    list(body, "Lazy names served (name \u2192 module [backends])", namesOfNode[id], function (i) {
      return describeName(data.names[i]);
    });
    var counts = {};
    network.getConnectedEdges(id).forEach(function (eid) {
      var e = edges.get(eid); var dir = e.from === id ? "out" : "in";
      counts[e.cat + " " + dir] = (counts[e.cat + " " + dir] || 0) + 1;
    });
    list(body, "Edges drawn", Object.keys(counts).sort(), function (k) { return k + ": " + counts[k]; });
    list(body, "Modules collapsed here", info.members, function (m) { return moduleName(m); });
  }
  function selectNode(id, highlightName) {
    if (id < 0 || id >= nodeInfo.length) return false;
    if (nodes.get(id).hidden) {  // a third-party node: show them first
      byId("ig-externals").checked = true; setExternals(true);
    }
    network.once("afterDrawing", function () { api.answeredAt = performance.now(); });  // for the benchmark
    network.selectNodes([id], true);
    var around = network.getConnectedNodes(id).filter(function (n) { return !nodes.get(n).hidden; });
    network.fit({nodes: [id].concat(around.length > 60 ? [] : around), animation: false});
    if (around.length > 60 || !around.length) network.focus(id, {scale: around.length > 60 ? 0.3 : 1.0, animation: false});
    showDetails(id, highlightName);
    return true;
  }
  network.on("selectNode", function (params) { showDetails(params.nodes[0]); });
  api.selectNode = selectNode;
  api.selectedNodeKeys = function () {
    return network.getSelectedNodes().map(function (id) { return nodeInfo[id].key; });
  };
  api.nodeId = function (key) {
    for (var i = 0; i < nodeInfo.length; i++) if (nodeInfo[i].key === key) return i;
    return -1;
  };

  // ------------------------------------------------------------------ findings table
  var tbody = document.querySelector("#ig-findings-table tbody");
  var rows = data.findings.map(function (f, i) {
    var tr = el("tr", null, f.node < 0 ? "not-drawn" : "");
    tr.setAttribute("data-finding", String(i));
    tr.setAttribute("data-rule", f.rule);
    tr.appendChild(el("td", f.severity, "sev-cell"));
    tr.appendChild(el("td", f.rule + " " + f.name));
    tr.appendChild(el("td", f.module + " : " + f.symbol, "sym"));
    tr.appendChild(el("td", f.message + (f.node < 0 ? " (node not drawn in this view)" : "")));
    tr.appendChild(el("td", f.path + ":" + f.line, "loc"));
    tr.addEventListener("click", function () {
      rows.forEach(function (r) { r.classList.remove("selected"); });
      tr.classList.add("selected");
      if (f.node >= 0) selectNode(f.node);
    });
    tbody.appendChild(tr);
    return tr;
  });
  function updateFindingsCount() {
    var shown = rows.filter(function (r) { return !r.hidden; }).length;
    byId("ig-findings-count").textContent = shown === rows.length ? "(" + rows.length + ")" : "(" + shown + " of " + rows.length + ")";
  }
  updateFindingsCount();

  // ------------------------------------------------------------------ filters
  var rank = {info: 0, warning: 1, error: 2};
  var ruleOn = {};
  var backendFilter = "";
  document.querySelectorAll("#ig-rule-filter input").forEach(function (box) {
    ruleOn[box.getAttribute("data-rule")] = box.checked;
    box.addEventListener("change", function () {
      ruleOn[box.getAttribute("data-rule")] = box.checked;
      rows.forEach(function (r) { r.hidden = !ruleOn[r.getAttribute("data-rule")]; });
      updateFindingsCount();
      recolor();
    });
  });
  function nodeServesBackend(id, backend) {
    return namesOfNode[id].some(function (i) { return backends(data.names[i]).indexOf(backend) >= 0; });
  }
  function recolor() {
    var updates = [];
    nodeInfo.forEach(function (info, id) {
      var severity = null;
      findingsOfNode[id].forEach(function (i) {
        var f = data.findings[i];
        if (ruleOn[f.rule] !== false && (severity === null || rank[f.severity] > rank[severity])) severity = f.severity;
      });
      var color = severity ? {background: style.severity[severity].background, border: style.severity[severity].border}
                           : kindColor[id];
      var dim = backendFilter && !nodeServesBackend(id, backendFilter);
      if (dim) color = {background: "#f7f7f7", border: "#dddddd"};
      updates.push({id: id, color: color, borderWidth: severity ? 3 : 1, font: {color: dim ? "#c0c0c0" : "#343434"}});
    });
    nodes.update(updates);
  }
  byId("ig-backend").addEventListener("change", function (ev) { backendFilter = ev.target.value; recolor(); });
  function refreshEdges() {
    edges.update(visEdges.map(function (e) { return {id: e.id, hidden: edgeHidden(e)}; }));
  }
  function setExternals(on) {
    showExternals = on;
    nodes.update(nodeInfo.map(function (info, id) { return {id: id, hidden: isExternal[id] && !on}; })
                         .filter(function (u) { return isExternal[u.id]; }));
    refreshEdges();
  }
  byId("ig-externals").addEventListener("change", function (ev) { setExternals(ev.target.checked); });
  document.querySelectorAll("#ig-edge-filter input[data-category]").forEach(function (box) {
    box.addEventListener("change", function () {
      categoryOn[box.getAttribute("data-category")] = box.checked;
      refreshEdges();
    });
  });

  // ------------------------------------------------------------------ search
  var moduleKeys = data.modules.map(function (m) { return m[0].toLowerCase(); });
  var nameKeys = data.names.map(function (n) { return n[0].toLowerCase(); });
  function search(query) {
    var q = query.trim().toLowerCase();
    if (!q) return [];
    var hits = [];
    function consider(key, score, item) {
      var at = key.indexOf(q);
      if (at < 0) return;
      var s = key === q ? 0 : at === 0 ? 1 : key.lastIndexOf("." + q) >= 0 ? 2 : 3;
      hits.push({score: s * 10 + score, len: key.length, item: item});
    }
    for (var i = 0; i < nameKeys.length; i++) consider(nameKeys[i], 0, {type: "name", index: i});
    for (var j = 0; j < moduleKeys.length; j++) consider(moduleKeys[j], 1, {type: "module", index: j});
    hits.sort(function (a, b) { return a.score - b.score || a.len - b.len; });
    return hits.slice(0, 30).map(function (h) {
      if (h.item.type === "name") {
        var entry = data.names[h.item.index];
        return {label: entry[0], what: "lazy name of " + moduleName(entry[1]) + " \u2192 " + moduleName(entry[2]) +
                (backends(entry).length ? " [" + backends(entry).join(", ") + "]" : ""), node: entry[4], name: h.item.index};
      }
      var m = data.modules[h.item.index];
      return {label: m[0], what: m[3] + (m[1] ? " \u00b7 " + m[1] : ""), node: m[2]};
    });
  }
  api.search = search;
  var results = byId("ig-results");
  var current = [];
  function showResults(query) {
    current = search(query);
    results.textContent = "";
    if (query.trim() && !current.length) results.appendChild(el("li", "no module or lazy name contains that", "muted"));
    current.forEach(function (r, k) {
      var li = el("li");
      li.setAttribute("data-result", String(k));
      li.appendChild(el("div", r.label));
      li.appendChild(el("div", r.what + (r.node < 0 ? " (not drawn in this view)" : ""), "what"));
      li.addEventListener("click", function () { pick(k); });
      results.appendChild(li);
    });
  }
  function pick(k) {
    var r = current[k];
    if (!r) return;
    results.querySelectorAll("li").forEach(function (li) { li.classList.remove("active"); });
    var li = results.querySelector('li[data-result="' + k + '"]');
    if (li) li.classList.add("active");
    if (r.node >= 0) selectNode(r.node, r.name);
  }
  var timer = null;
  var input = byId("ig-search");
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { showResults(input.value); }, 80);
  });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") { clearTimeout(timer); showResults(input.value); pick(0); }
  });
})();
