// Renders the OpenAPI document as a readable reference, with no third-party code.
(function () {
  "use strict";
  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    children.flat().forEach((c) => node.append(c instanceof Node ? c : document.createTextNode(String(c))));
    return node;
  };
  let doc;
  const resolve = (schema) => {
    if (schema && schema.$ref) return resolve(doc.components.schemas[schema.$ref.split("/").pop()]);
    return schema || {};
  };
  const typeOf = (schema) => {
    if (!schema) return "";
    if (schema.$ref) return schema.$ref.split("/").pop();
    if (schema.anyOf) return schema.anyOf.map(typeOf).join(" | ");
    if (schema.allOf) return schema.allOf.map(typeOf).join(" + ");
    let t = Array.isArray(schema.type) ? schema.type.join(" | ") : schema.type || "any";
    if (t.startsWith("array") && schema.items) t = typeOf(schema.items) + "[]";
    if (schema.enum) t += " (" + schema.enum.filter((v) => v !== null).join(", ") + ")";
    if (schema.format) t += " <" + schema.format + ">";
    return t;
  };
  const fieldTable = (schema) => {
    schema = resolve(schema);
    const props = schema.properties || {};
    const required = new Set(schema.required || []);
    if (!Object.keys(props).length) return el("p", {}, "No fields.");
    return el("table", {}, el("tr", {}, el("th", {}, "Field"), el("th", {}, "Type"), el("th", {}, "Required")),
      Object.entries(props).map(([name, s]) => el("tr", {}, el("td", {}, el("code", {}, name)),
        el("td", {}, typeOf(s) + (s.description ? " — " + s.description : "")), el("td", {}, required.has(name) ? "yes" : ""))));
  };
  const render = () => {
    const toc = document.getElementById("toc");
    const main = document.getElementById("reference");
    main.replaceChildren(el("div", { class: "intro" }, doc.info.description));
    const byTag = {};
    Object.entries(doc.paths).forEach(([path, methods]) => Object.entries(methods).forEach(([method, op]) => {
      (byTag[op.tags[0]] = byTag[op.tags[0]] || []).push([path, method, op]);
    }));
    Object.entries(byTag).forEach(([tag, ops]) => {
      toc.append(el("h3", {}, tag));
      main.append(el("h2", { id: "tag-" + tag }, tag));
      ops.forEach(([path, method, op]) => {
        toc.append(el("a", { href: "#" + op.operationId }, method.toUpperCase() + " " + path));
        const section = el("section", { class: "op", id: op.operationId },
          el("h3", {}, el("span", { class: "method" }, method.toUpperCase()), " ",
            el("span", { class: "path" }, doc.servers[0].url + path)),
          el("p", {}, op.summary));
        if (op.parameters) {
          section.append(el("h4", {}, "Parameters"), el("table", {},
            el("tr", {}, el("th", {}, "Name"), el("th", {}, "In"), el("th", {}, "Type"), el("th", {}, "Description")),
            op.parameters.map((p) => el("tr", {}, el("td", {}, el("code", {}, p.name + (p.required ? "*" : ""))),
              el("td", {}, p.in), el("td", {}, typeOf(p.schema)), el("td", {}, p.description || "")))));
        }
        if (op.requestBody) {
          section.append(el("h4", {}, "Body (JSON)" + (op.requestBody.required ? "" : ", optional")),
            fieldTable(op.requestBody.content["application/json"].schema));
        }
        section.append(el("h4", {}, "Responses"), el("table", {},
          Object.entries(op.responses).map(([code, r]) => el("tr", {}, el("td", {}, el("code", {}, code)), el("td", {}, r.description)))));
        main.append(section);
      });
    });
    main.append(el("h2", {}, "Schemas"));
    Object.entries(doc.components.schemas).forEach(([name, schema]) => {
      const s = schema.allOf ? { properties: Object.assign({}, ...schema.allOf.map((p) => resolve(p).properties)), required: [] } : schema;
      main.append(el("h3", { id: "schema-" + name }, name), fieldTable(s));
    });
  };
  fetch("/api/v1/openapi.json").then((r) => r.json()).then((d) => { doc = d; render(); })
    .catch((e) => { document.getElementById("reference").textContent = "Could not load the document: " + e; });
})();
