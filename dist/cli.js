#!/usr/bin/env node
import { once } from 'node:events';
import { existsSync, readFileSync, openSync, readSync, closeSync, statSync as statSync$1, mkdirSync, writeFileSync, fchmodSync, fchownSync, fsyncSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path, { resolve } from 'node:path';
import { parseArgs, TextDecoder } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { readdir, stat, readFile, realpath as realpath$1, lstat, opendir } from 'node:fs/promises';
import * as nativeFs from 'fs';
import { statSync, stat as stat$1, realpathSync, realpath, readdirSync, readdir as readdir$1 } from 'fs';
import { sep, basename, dirname, resolve as resolve$1, normalize, relative, posix, isAbsolute } from 'path';
import { fileURLToPath } from 'url';
import { createRequire } from 'module';
import { randomBytes } from 'node:crypto';

function getDefaultExportFromCjs$1(x) {
  return x && x.__esModule && Object.prototype.hasOwnProperty.call(x, "default") ? x["default"] : x;
}
var jsYaml = {};
var loader = {};
var common = {};
var hasRequiredCommon;
function requireCommon() {
  if (hasRequiredCommon) return common;
  hasRequiredCommon = 1;
  function isNothing(subject) {
    return typeof subject === "undefined" || subject === null;
  }
  function isObject(subject) {
    return typeof subject === "object" && subject !== null;
  }
  function toArray(sequence) {
    if (Array.isArray(sequence)) return sequence;
    else if (isNothing(sequence)) return [];
    return [sequence];
  }
  function extend(target, source) {
    if (source) {
      const sourceKeys = Object.keys(source);
      for (let index = 0, length = sourceKeys.length; index < length; index += 1) {
        const key = sourceKeys[index];
        target[key] = source[key];
      }
    }
    return target;
  }
  function repeat(string, count) {
    let result = "";
    for (let cycle = 0; cycle < count; cycle += 1) {
      result += string;
    }
    return result;
  }
  function isNegativeZero(number) {
    return number === 0 && Number.NEGATIVE_INFINITY === 1 / number;
  }
  common.isNothing = isNothing;
  common.isObject = isObject;
  common.toArray = toArray;
  common.repeat = repeat;
  common.isNegativeZero = isNegativeZero;
  common.extend = extend;
  return common;
}
var exception;
var hasRequiredException;
function requireException() {
  if (hasRequiredException) return exception;
  hasRequiredException = 1;
  function formatError(exception2, compact) {
    let where = "";
    const message = exception2.reason || "(unknown reason)";
    if (!exception2.mark) return message;
    if (exception2.mark.name) {
      where += 'in "' + exception2.mark.name + '" ';
    }
    where += "(" + (exception2.mark.line + 1) + ":" + (exception2.mark.column + 1) + ")";
    if (!compact && exception2.mark.snippet) {
      where += "\n\n" + exception2.mark.snippet;
    }
    return message + " " + where;
  }
  function YAMLException2(reason, mark) {
    Error.call(this);
    this.name = "YAMLException";
    this.reason = reason;
    this.mark = mark;
    this.message = formatError(this, false);
    if (Error.captureStackTrace) {
      Error.captureStackTrace(this, this.constructor);
    } else {
      this.stack = new Error().stack || "";
    }
  }
  YAMLException2.prototype = Object.create(Error.prototype);
  YAMLException2.prototype.constructor = YAMLException2;
  YAMLException2.prototype.toString = function toString(compact) {
    return this.name + ": " + formatError(this, compact);
  };
  exception = YAMLException2;
  return exception;
}
var snippet;
var hasRequiredSnippet;
function requireSnippet() {
  if (hasRequiredSnippet) return snippet;
  hasRequiredSnippet = 1;
  const common2 = requireCommon();
  function getLine(buffer, lineStart, lineEnd, position, maxLineLength) {
    let head = "";
    let tail = "";
    const maxHalfLength = Math.floor(maxLineLength / 2) - 1;
    if (position - lineStart > maxHalfLength) {
      head = " ... ";
      lineStart = position - maxHalfLength + head.length;
    }
    if (lineEnd - position > maxHalfLength) {
      tail = " ...";
      lineEnd = position + maxHalfLength - tail.length;
    }
    return {
      str: head + buffer.slice(lineStart, lineEnd).replace(/\t/g, "→") + tail,
      pos: position - lineStart + head.length
      // relative position
    };
  }
  function padStart(string, max) {
    return common2.repeat(" ", max - string.length) + string;
  }
  function makeSnippet(mark, options) {
    options = Object.create(options || null);
    if (!mark.buffer) return null;
    if (!options.maxLength) options.maxLength = 79;
    if (typeof options.indent !== "number") options.indent = 1;
    if (typeof options.linesBefore !== "number") options.linesBefore = 3;
    if (typeof options.linesAfter !== "number") options.linesAfter = 2;
    const re = /\r?\n|\r|\0/g;
    const lineStarts = [0];
    const lineEnds = [];
    let match;
    let foundLineNo = -1;
    while (match = re.exec(mark.buffer)) {
      lineEnds.push(match.index);
      lineStarts.push(match.index + match[0].length);
      if (mark.position <= match.index && foundLineNo < 0) {
        foundLineNo = lineStarts.length - 2;
      }
    }
    if (foundLineNo < 0) foundLineNo = lineStarts.length - 1;
    let result = "";
    const lineNoLength = Math.min(mark.line + options.linesAfter, lineEnds.length).toString().length;
    const maxLineLength = options.maxLength - (options.indent + lineNoLength + 3);
    for (let i = 1; i <= options.linesBefore; i++) {
      if (foundLineNo - i < 0) break;
      const line2 = getLine(
        mark.buffer,
        lineStarts[foundLineNo - i],
        lineEnds[foundLineNo - i],
        mark.position - (lineStarts[foundLineNo] - lineStarts[foundLineNo - i]),
        maxLineLength
      );
      result = common2.repeat(" ", options.indent) + padStart((mark.line - i + 1).toString(), lineNoLength) + " | " + line2.str + "\n" + result;
    }
    const line = getLine(mark.buffer, lineStarts[foundLineNo], lineEnds[foundLineNo], mark.position, maxLineLength);
    result += common2.repeat(" ", options.indent) + padStart((mark.line + 1).toString(), lineNoLength) + " | " + line.str + "\n";
    result += common2.repeat("-", options.indent + lineNoLength + 3 + line.pos) + "^\n";
    for (let i = 1; i <= options.linesAfter; i++) {
      if (foundLineNo + i >= lineEnds.length) break;
      const line2 = getLine(
        mark.buffer,
        lineStarts[foundLineNo + i],
        lineEnds[foundLineNo + i],
        mark.position - (lineStarts[foundLineNo] - lineStarts[foundLineNo + i]),
        maxLineLength
      );
      result += common2.repeat(" ", options.indent) + padStart((mark.line + i + 1).toString(), lineNoLength) + " | " + line2.str + "\n";
    }
    return result.replace(/\n$/, "");
  }
  snippet = makeSnippet;
  return snippet;
}
var type;
var hasRequiredType;
function requireType() {
  if (hasRequiredType) return type;
  hasRequiredType = 1;
  const YAMLException2 = requireException();
  const TYPE_CONSTRUCTOR_OPTIONS = [
    "kind",
    "multi",
    "resolve",
    "construct",
    "instanceOf",
    "predicate",
    "represent",
    "representName",
    "defaultStyle",
    "styleAliases"
  ];
  const YAML_NODE_KINDS = [
    "scalar",
    "sequence",
    "mapping"
  ];
  function compileStyleAliases(map2) {
    const result = {};
    if (map2 !== null) {
      Object.keys(map2).forEach(function(style) {
        map2[style].forEach(function(alias) {
          result[String(alias)] = style;
        });
      });
    }
    return result;
  }
  function Type2(tag, options) {
    options = options || {};
    Object.keys(options).forEach(function(name) {
      if (TYPE_CONSTRUCTOR_OPTIONS.indexOf(name) === -1) {
        throw new YAMLException2('Unknown option "' + name + '" is met in definition of "' + tag + '" YAML type.');
      }
    });
    this.options = options;
    this.tag = tag;
    this.kind = options["kind"] || null;
    this.resolve = options["resolve"] || function() {
      return true;
    };
    this.construct = options["construct"] || function(data) {
      return data;
    };
    this.instanceOf = options["instanceOf"] || null;
    this.predicate = options["predicate"] || null;
    this.represent = options["represent"] || null;
    this.representName = options["representName"] || null;
    this.defaultStyle = options["defaultStyle"] || null;
    this.multi = options["multi"] || false;
    this.styleAliases = compileStyleAliases(options["styleAliases"] || null);
    if (YAML_NODE_KINDS.indexOf(this.kind) === -1) {
      throw new YAMLException2('Unknown kind "' + this.kind + '" is specified for "' + tag + '" YAML type.');
    }
  }
  type = Type2;
  return type;
}
var schema;
var hasRequiredSchema;
function requireSchema() {
  if (hasRequiredSchema) return schema;
  hasRequiredSchema = 1;
  const YAMLException2 = requireException();
  const Type2 = requireType();
  function compileList(schema2, name) {
    const result = [];
    schema2[name].forEach(function(currentType) {
      let newIndex = result.length;
      result.forEach(function(previousType, previousIndex) {
        if (previousType.tag === currentType.tag && previousType.kind === currentType.kind && previousType.multi === currentType.multi) {
          newIndex = previousIndex;
        }
      });
      result[newIndex] = currentType;
    });
    return result;
  }
  function compileMap() {
    const result = {
      scalar: {},
      sequence: {},
      mapping: {},
      fallback: {},
      multi: {
        scalar: [],
        sequence: [],
        mapping: [],
        fallback: []
      }
    };
    function collectType(type2) {
      if (type2.multi) {
        result.multi[type2.kind].push(type2);
        result.multi["fallback"].push(type2);
      } else {
        result[type2.kind][type2.tag] = result["fallback"][type2.tag] = type2;
      }
    }
    for (let index = 0, length = arguments.length; index < length; index += 1) {
      arguments[index].forEach(collectType);
    }
    return result;
  }
  function Schema2(definition) {
    return this.extend(definition);
  }
  Schema2.prototype.extend = function extend(definition) {
    let implicit = [];
    let explicit = [];
    if (definition instanceof Type2) {
      explicit.push(definition);
    } else if (Array.isArray(definition)) {
      explicit = explicit.concat(definition);
    } else if (definition && (Array.isArray(definition.implicit) || Array.isArray(definition.explicit))) {
      if (definition.implicit) implicit = implicit.concat(definition.implicit);
      if (definition.explicit) explicit = explicit.concat(definition.explicit);
    } else {
      throw new YAMLException2("Schema.extend argument should be a Type, [ Type ], or a schema definition ({ implicit: [...], explicit: [...] })");
    }
    implicit.forEach(function(type2) {
      if (!(type2 instanceof Type2)) {
        throw new YAMLException2("Specified list of YAML types (or a single Type object) contains a non-Type object.");
      }
      if (type2.loadKind && type2.loadKind !== "scalar") {
        throw new YAMLException2("There is a non-scalar type in the implicit list of a schema. Implicit resolving of such types is not supported.");
      }
      if (type2.multi) {
        throw new YAMLException2("There is a multi type in the implicit list of a schema. Multi tags can only be listed as explicit.");
      }
    });
    explicit.forEach(function(type2) {
      if (!(type2 instanceof Type2)) {
        throw new YAMLException2("Specified list of YAML types (or a single Type object) contains a non-Type object.");
      }
    });
    const result = Object.create(Schema2.prototype);
    result.implicit = (this.implicit || []).concat(implicit);
    result.explicit = (this.explicit || []).concat(explicit);
    result.compiledImplicit = compileList(result, "implicit");
    result.compiledExplicit = compileList(result, "explicit");
    result.compiledTypeMap = compileMap(result.compiledImplicit, result.compiledExplicit);
    return result;
  };
  schema = Schema2;
  return schema;
}
var str;
var hasRequiredStr;
function requireStr() {
  if (hasRequiredStr) return str;
  hasRequiredStr = 1;
  const Type2 = requireType();
  str = new Type2("tag:yaml.org,2002:str", {
    kind: "scalar",
    construct: function(data) {
      return data !== null ? data : "";
    }
  });
  return str;
}
var seq;
var hasRequiredSeq;
function requireSeq() {
  if (hasRequiredSeq) return seq;
  hasRequiredSeq = 1;
  const Type2 = requireType();
  seq = new Type2("tag:yaml.org,2002:seq", {
    kind: "sequence",
    construct: function(data) {
      return data !== null ? data : [];
    }
  });
  return seq;
}
var map;
var hasRequiredMap;
function requireMap() {
  if (hasRequiredMap) return map;
  hasRequiredMap = 1;
  const Type2 = requireType();
  map = new Type2("tag:yaml.org,2002:map", {
    kind: "mapping",
    construct: function(data) {
      return data !== null ? data : {};
    }
  });
  return map;
}
var failsafe;
var hasRequiredFailsafe;
function requireFailsafe() {
  if (hasRequiredFailsafe) return failsafe;
  hasRequiredFailsafe = 1;
  const Schema2 = requireSchema();
  failsafe = new Schema2({
    explicit: [
      requireStr(),
      requireSeq(),
      requireMap()
    ]
  });
  return failsafe;
}
var _null;
var hasRequired_null;
function require_null() {
  if (hasRequired_null) return _null;
  hasRequired_null = 1;
  const Type2 = requireType();
  function resolveYamlNull(data) {
    if (data === null) return true;
    const max = data.length;
    return max === 1 && data === "~" || max === 4 && (data === "null" || data === "Null" || data === "NULL");
  }
  function constructYamlNull() {
    return null;
  }
  function isNull(object) {
    return object === null;
  }
  _null = new Type2("tag:yaml.org,2002:null", {
    kind: "scalar",
    resolve: resolveYamlNull,
    construct: constructYamlNull,
    predicate: isNull,
    represent: {
      canonical: function() {
        return "~";
      },
      lowercase: function() {
        return "null";
      },
      uppercase: function() {
        return "NULL";
      },
      camelcase: function() {
        return "Null";
      },
      empty: function() {
        return "";
      }
    },
    defaultStyle: "lowercase"
  });
  return _null;
}
var bool;
var hasRequiredBool;
function requireBool() {
  if (hasRequiredBool) return bool;
  hasRequiredBool = 1;
  const Type2 = requireType();
  function resolveYamlBoolean(data) {
    if (data === null) return false;
    const max = data.length;
    return max === 4 && (data === "true" || data === "True" || data === "TRUE") || max === 5 && (data === "false" || data === "False" || data === "FALSE");
  }
  function constructYamlBoolean(data) {
    return data === "true" || data === "True" || data === "TRUE";
  }
  function isBoolean(object) {
    return Object.prototype.toString.call(object) === "[object Boolean]";
  }
  bool = new Type2("tag:yaml.org,2002:bool", {
    kind: "scalar",
    resolve: resolveYamlBoolean,
    construct: constructYamlBoolean,
    predicate: isBoolean,
    represent: {
      lowercase: function(object) {
        return object ? "true" : "false";
      },
      uppercase: function(object) {
        return object ? "TRUE" : "FALSE";
      },
      camelcase: function(object) {
        return object ? "True" : "False";
      }
    },
    defaultStyle: "lowercase"
  });
  return bool;
}
var int;
var hasRequiredInt;
function requireInt() {
  if (hasRequiredInt) return int;
  hasRequiredInt = 1;
  const common2 = requireCommon();
  const Type2 = requireType();
  function isHexCode(c) {
    return c >= 48 && c <= 57 || c >= 65 && c <= 70 || c >= 97 && c <= 102;
  }
  function isOctCode(c) {
    return c >= 48 && c <= 55;
  }
  function isDecCode(c) {
    return c >= 48 && c <= 57;
  }
  function resolveYamlInteger(data) {
    if (data === null) return false;
    const max = data.length;
    let index = 0;
    let hasDigits = false;
    if (!max) return false;
    let ch = data[index];
    if (ch === "-" || ch === "+") {
      ch = data[++index];
    }
    if (ch === "0") {
      if (index + 1 === max) return true;
      ch = data[++index];
      if (ch === "b") {
        index++;
        for (; index < max; index++) {
          ch = data[index];
          if (ch !== "0" && ch !== "1") return false;
          hasDigits = true;
        }
        return hasDigits && isFinite(parseYamlInteger(data));
      }
      if (ch === "x") {
        index++;
        for (; index < max; index++) {
          if (!isHexCode(data.charCodeAt(index))) return false;
          hasDigits = true;
        }
        return hasDigits && isFinite(parseYamlInteger(data));
      }
      if (ch === "o") {
        index++;
        for (; index < max; index++) {
          if (!isOctCode(data.charCodeAt(index))) return false;
          hasDigits = true;
        }
        return hasDigits && isFinite(parseYamlInteger(data));
      }
    }
    for (; index < max; index++) {
      if (!isDecCode(data.charCodeAt(index))) {
        return false;
      }
      hasDigits = true;
    }
    if (!hasDigits) return false;
    return isFinite(parseYamlInteger(data));
  }
  function parseYamlInteger(data) {
    let value = data;
    let sign = 1;
    let ch = value[0];
    if (ch === "-" || ch === "+") {
      if (ch === "-") sign = -1;
      value = value.slice(1);
      ch = value[0];
    }
    if (value === "0") return 0;
    if (ch === "0") {
      if (value[1] === "b") return sign * parseInt(value.slice(2), 2);
      if (value[1] === "x") return sign * parseInt(value.slice(2), 16);
      if (value[1] === "o") return sign * parseInt(value.slice(2), 8);
    }
    return sign * parseInt(value, 10);
  }
  function constructYamlInteger(data) {
    return parseYamlInteger(data);
  }
  function isInteger(object) {
    return Object.prototype.toString.call(object) === "[object Number]" && (object % 1 === 0 && !common2.isNegativeZero(object));
  }
  int = new Type2("tag:yaml.org,2002:int", {
    kind: "scalar",
    resolve: resolveYamlInteger,
    construct: constructYamlInteger,
    predicate: isInteger,
    represent: {
      binary: function(obj) {
        return obj >= 0 ? "0b" + obj.toString(2) : "-0b" + obj.toString(2).slice(1);
      },
      octal: function(obj) {
        return obj >= 0 ? "0o" + obj.toString(8) : "-0o" + obj.toString(8).slice(1);
      },
      decimal: function(obj) {
        return obj.toString(10);
      },
      hexadecimal: function(obj) {
        return obj >= 0 ? "0x" + obj.toString(16).toUpperCase() : "-0x" + obj.toString(16).toUpperCase().slice(1);
      }
    },
    defaultStyle: "decimal",
    styleAliases: {
      binary: [2, "bin"],
      octal: [8, "oct"],
      decimal: [10, "dec"],
      hexadecimal: [16, "hex"]
    }
  });
  return int;
}
var float;
var hasRequiredFloat;
function requireFloat() {
  if (hasRequiredFloat) return float;
  hasRequiredFloat = 1;
  const common2 = requireCommon();
  const Type2 = requireType();
  const YAML_FLOAT_PATTERN = new RegExp(
    // 2.5e4, 2.5 and integers
    "^(?:[-+]?(?:[0-9]+)(?:\\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|\\.[0-9]+(?:[eE][-+]?[0-9]+)?|[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN))$"
  );
  const YAML_FLOAT_SPECIAL_PATTERN = new RegExp(
    "^(?:[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN))$"
  );
  function resolveYamlFloat(data) {
    if (data === null) return false;
    if (!YAML_FLOAT_PATTERN.test(data)) {
      return false;
    }
    if (isFinite(parseFloat(data, 10))) {
      return true;
    }
    return YAML_FLOAT_SPECIAL_PATTERN.test(data);
  }
  function constructYamlFloat(data) {
    let value = data.toLowerCase();
    const sign = value[0] === "-" ? -1 : 1;
    if ("+-".indexOf(value[0]) >= 0) {
      value = value.slice(1);
    }
    if (value === ".inf") {
      return sign === 1 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    } else if (value === ".nan") {
      return NaN;
    }
    return sign * parseFloat(value, 10);
  }
  const SCIENTIFIC_WITHOUT_DOT = /^[-+]?[0-9]+e/;
  function representYamlFloat(object, style) {
    if (isNaN(object)) {
      switch (style) {
        case "lowercase":
          return ".nan";
        case "uppercase":
          return ".NAN";
        case "camelcase":
          return ".NaN";
      }
    } else if (Number.POSITIVE_INFINITY === object) {
      switch (style) {
        case "lowercase":
          return ".inf";
        case "uppercase":
          return ".INF";
        case "camelcase":
          return ".Inf";
      }
    } else if (Number.NEGATIVE_INFINITY === object) {
      switch (style) {
        case "lowercase":
          return "-.inf";
        case "uppercase":
          return "-.INF";
        case "camelcase":
          return "-.Inf";
      }
    } else if (common2.isNegativeZero(object)) {
      return "-0.0";
    }
    const res = object.toString(10);
    return SCIENTIFIC_WITHOUT_DOT.test(res) ? res.replace("e", ".e") : res;
  }
  function isFloat(object) {
    return Object.prototype.toString.call(object) === "[object Number]" && (object % 1 !== 0 || common2.isNegativeZero(object));
  }
  float = new Type2("tag:yaml.org,2002:float", {
    kind: "scalar",
    resolve: resolveYamlFloat,
    construct: constructYamlFloat,
    predicate: isFloat,
    represent: representYamlFloat,
    defaultStyle: "lowercase"
  });
  return float;
}
var json;
var hasRequiredJson;
function requireJson() {
  if (hasRequiredJson) return json;
  hasRequiredJson = 1;
  json = requireFailsafe().extend({
    implicit: [
      require_null(),
      requireBool(),
      requireInt(),
      requireFloat()
    ]
  });
  return json;
}
var core;
var hasRequiredCore;
function requireCore() {
  if (hasRequiredCore) return core;
  hasRequiredCore = 1;
  core = requireJson();
  return core;
}
var timestamp;
var hasRequiredTimestamp;
function requireTimestamp() {
  if (hasRequiredTimestamp) return timestamp;
  hasRequiredTimestamp = 1;
  const Type2 = requireType();
  const YAML_DATE_REGEXP = new RegExp(
    "^([0-9][0-9][0-9][0-9])-([0-9][0-9])-([0-9][0-9])$"
  );
  const YAML_TIMESTAMP_REGEXP = new RegExp(
    "^([0-9][0-9][0-9][0-9])-([0-9][0-9]?)-([0-9][0-9]?)(?:[Tt]|[ \\t]+)([0-9][0-9]?):([0-9][0-9]):([0-9][0-9])(?:\\.([0-9]*))?(?:[ \\t]*(Z|([-+])([0-9][0-9]?)(?::([0-9][0-9]))?))?$"
  );
  function resolveYamlTimestamp(data) {
    if (data === null) return false;
    if (YAML_DATE_REGEXP.exec(data) !== null) return true;
    if (YAML_TIMESTAMP_REGEXP.exec(data) !== null) return true;
    return false;
  }
  function constructYamlTimestamp(data) {
    let fraction = 0;
    let delta = null;
    let match = YAML_DATE_REGEXP.exec(data);
    if (match === null) match = YAML_TIMESTAMP_REGEXP.exec(data);
    if (match === null) throw new Error("Date resolve error");
    const year = +match[1];
    const month = +match[2] - 1;
    const day = +match[3];
    if (!match[4]) {
      return new Date(Date.UTC(year, month, day));
    }
    const hour = +match[4];
    const minute = +match[5];
    const second = +match[6];
    if (match[7]) {
      fraction = match[7].slice(0, 3);
      while (fraction.length < 3) {
        fraction += "0";
      }
      fraction = +fraction;
    }
    if (match[9]) {
      const tzHour = +match[10];
      const tzMinute = +(match[11] || 0);
      delta = (tzHour * 60 + tzMinute) * 6e4;
      if (match[9] === "-") delta = -delta;
    }
    const date = new Date(Date.UTC(year, month, day, hour, minute, second, fraction));
    if (delta) date.setTime(date.getTime() - delta);
    return date;
  }
  function representYamlTimestamp(object) {
    return object.toISOString();
  }
  timestamp = new Type2("tag:yaml.org,2002:timestamp", {
    kind: "scalar",
    resolve: resolveYamlTimestamp,
    construct: constructYamlTimestamp,
    instanceOf: Date,
    represent: representYamlTimestamp
  });
  return timestamp;
}
var merge;
var hasRequiredMerge;
function requireMerge() {
  if (hasRequiredMerge) return merge;
  hasRequiredMerge = 1;
  const Type2 = requireType();
  function resolveYamlMerge(data) {
    return data === "<<" || data === null;
  }
  merge = new Type2("tag:yaml.org,2002:merge", {
    kind: "scalar",
    resolve: resolveYamlMerge
  });
  return merge;
}
var binary;
var hasRequiredBinary;
function requireBinary() {
  if (hasRequiredBinary) return binary;
  hasRequiredBinary = 1;
  const Type2 = requireType();
  const BASE64_MAP = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\n\r";
  function resolveYamlBinary(data) {
    if (data === null) return false;
    let bitlen = 0;
    const max = data.length;
    const map2 = BASE64_MAP;
    for (let idx = 0; idx < max; idx++) {
      const code = map2.indexOf(data.charAt(idx));
      if (code > 64) continue;
      if (code < 0) return false;
      bitlen += 6;
    }
    return bitlen % 8 === 0;
  }
  function constructYamlBinary(data) {
    const input = data.replace(/[\r\n=]/g, "");
    const max = input.length;
    const map2 = BASE64_MAP;
    let bits = 0;
    const result = [];
    for (let idx = 0; idx < max; idx++) {
      if (idx % 4 === 0 && idx) {
        result.push(bits >> 16 & 255);
        result.push(bits >> 8 & 255);
        result.push(bits & 255);
      }
      bits = bits << 6 | map2.indexOf(input.charAt(idx));
    }
    const tailbits = max % 4 * 6;
    if (tailbits === 0) {
      result.push(bits >> 16 & 255);
      result.push(bits >> 8 & 255);
      result.push(bits & 255);
    } else if (tailbits === 18) {
      result.push(bits >> 10 & 255);
      result.push(bits >> 2 & 255);
    } else if (tailbits === 12) {
      result.push(bits >> 4 & 255);
    }
    return new Uint8Array(result);
  }
  function representYamlBinary(object) {
    let result = "";
    let bits = 0;
    const max = object.length;
    const map2 = BASE64_MAP;
    for (let idx = 0; idx < max; idx++) {
      if (idx % 3 === 0 && idx) {
        result += map2[bits >> 18 & 63];
        result += map2[bits >> 12 & 63];
        result += map2[bits >> 6 & 63];
        result += map2[bits & 63];
      }
      bits = (bits << 8) + object[idx];
    }
    const tail = max % 3;
    if (tail === 0) {
      result += map2[bits >> 18 & 63];
      result += map2[bits >> 12 & 63];
      result += map2[bits >> 6 & 63];
      result += map2[bits & 63];
    } else if (tail === 2) {
      result += map2[bits >> 10 & 63];
      result += map2[bits >> 4 & 63];
      result += map2[bits << 2 & 63];
      result += map2[64];
    } else if (tail === 1) {
      result += map2[bits >> 2 & 63];
      result += map2[bits << 4 & 63];
      result += map2[64];
      result += map2[64];
    }
    return result;
  }
  function isBinary(obj) {
    return Object.prototype.toString.call(obj) === "[object Uint8Array]";
  }
  binary = new Type2("tag:yaml.org,2002:binary", {
    kind: "scalar",
    resolve: resolveYamlBinary,
    construct: constructYamlBinary,
    predicate: isBinary,
    represent: representYamlBinary
  });
  return binary;
}
var omap;
var hasRequiredOmap;
function requireOmap() {
  if (hasRequiredOmap) return omap;
  hasRequiredOmap = 1;
  const Type2 = requireType();
  const _hasOwnProperty = Object.prototype.hasOwnProperty;
  const _toString = Object.prototype.toString;
  function resolveYamlOmap(data) {
    if (data === null) return true;
    const objectKeys = {};
    const object = data;
    for (let index = 0, length = object.length; index < length; index += 1) {
      const pair = object[index];
      let pairHasKey = false;
      if (_toString.call(pair) !== "[object Object]") return false;
      let pairKey;
      for (pairKey in pair) {
        if (_hasOwnProperty.call(pair, pairKey)) {
          if (!pairHasKey) pairHasKey = true;
          else return false;
        }
      }
      if (!pairHasKey) return false;
      if (_hasOwnProperty.call(objectKeys, pairKey)) return false;
      Object.defineProperty(objectKeys, pairKey, { value: true });
    }
    return true;
  }
  function constructYamlOmap(data) {
    return data !== null ? data : [];
  }
  omap = new Type2("tag:yaml.org,2002:omap", {
    kind: "sequence",
    resolve: resolveYamlOmap,
    construct: constructYamlOmap
  });
  return omap;
}
var pairs;
var hasRequiredPairs;
function requirePairs() {
  if (hasRequiredPairs) return pairs;
  hasRequiredPairs = 1;
  const Type2 = requireType();
  const _toString = Object.prototype.toString;
  function resolveYamlPairs(data) {
    if (data === null) return true;
    const object = data;
    const result = new Array(object.length);
    for (let index = 0, length = object.length; index < length; index += 1) {
      const pair = object[index];
      if (_toString.call(pair) !== "[object Object]") return false;
      const keys = Object.keys(pair);
      if (keys.length !== 1) return false;
      result[index] = [keys[0], pair[keys[0]]];
    }
    return true;
  }
  function constructYamlPairs(data) {
    if (data === null) return [];
    const object = data;
    const result = new Array(object.length);
    for (let index = 0, length = object.length; index < length; index += 1) {
      const pair = object[index];
      const keys = Object.keys(pair);
      result[index] = [keys[0], pair[keys[0]]];
    }
    return result;
  }
  pairs = new Type2("tag:yaml.org,2002:pairs", {
    kind: "sequence",
    resolve: resolveYamlPairs,
    construct: constructYamlPairs
  });
  return pairs;
}
var set;
var hasRequiredSet;
function requireSet() {
  if (hasRequiredSet) return set;
  hasRequiredSet = 1;
  const Type2 = requireType();
  const _hasOwnProperty = Object.prototype.hasOwnProperty;
  function resolveYamlSet(data) {
    if (data === null) return true;
    const object = data;
    for (const key in object) {
      if (_hasOwnProperty.call(object, key)) {
        if (object[key] !== null) return false;
      }
    }
    return true;
  }
  function constructYamlSet(data) {
    return data !== null ? data : {};
  }
  set = new Type2("tag:yaml.org,2002:set", {
    kind: "mapping",
    resolve: resolveYamlSet,
    construct: constructYamlSet
  });
  return set;
}
var _default;
var hasRequired_default;
function require_default() {
  if (hasRequired_default) return _default;
  hasRequired_default = 1;
  _default = requireCore().extend({
    implicit: [
      requireTimestamp(),
      requireMerge()
    ],
    explicit: [
      requireBinary(),
      requireOmap(),
      requirePairs(),
      requireSet()
    ]
  });
  return _default;
}
var hasRequiredLoader;
function requireLoader() {
  if (hasRequiredLoader) return loader;
  hasRequiredLoader = 1;
  const common2 = requireCommon();
  const YAMLException2 = requireException();
  const makeSnippet = requireSnippet();
  const DEFAULT_SCHEMA2 = require_default();
  const _hasOwnProperty = Object.prototype.hasOwnProperty;
  const CONTEXT_FLOW_IN = 1;
  const CONTEXT_FLOW_OUT = 2;
  const CONTEXT_BLOCK_IN = 3;
  const CONTEXT_BLOCK_OUT = 4;
  const CHOMPING_CLIP = 1;
  const CHOMPING_STRIP = 2;
  const CHOMPING_KEEP = 3;
  const PATTERN_NON_PRINTABLE = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x84\x86-\x9F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:[^\uD800-\uDBFF]|^)[\uDC00-\uDFFF]/;
  const PATTERN_NON_ASCII_LINE_BREAKS = /[\x85\u2028\u2029]/;
  const PATTERN_FLOW_INDICATORS = /[,\[\]{}]/;
  const PATTERN_TAG_HANDLE = /^(?:!|!!|![0-9A-Za-z-]+!)$/;
  const PATTERN_TAG_URI = /^(?:!|[^,\[\]{}])(?:%[0-9a-f]{2}|[0-9a-z\-#;/?:@&=+$,_.!~*'()\[\]])*$/i;
  function _class(obj) {
    return Object.prototype.toString.call(obj);
  }
  function isEol(c) {
    return c === 10 || c === 13;
  }
  function isWhiteSpace(c) {
    return c === 9 || c === 32;
  }
  function isWsOrEol(c) {
    return c === 9 || c === 32 || c === 10 || c === 13;
  }
  function isFlowIndicator(c) {
    return c === 44 || c === 91 || c === 93 || c === 123 || c === 125;
  }
  function fromHexCode(c) {
    if (c >= 48 && c <= 57) {
      return c - 48;
    }
    const lc = c | 32;
    if (lc >= 97 && lc <= 102) {
      return lc - 97 + 10;
    }
    return -1;
  }
  function escapedHexLen(c) {
    if (c === 120) {
      return 2;
    }
    if (c === 117) {
      return 4;
    }
    if (c === 85) {
      return 8;
    }
    return 0;
  }
  function fromDecimalCode(c) {
    if (c >= 48 && c <= 57) {
      return c - 48;
    }
    return -1;
  }
  function simpleEscapeSequence(c) {
    switch (c) {
      case 48:
        return "\0";
      case 97:
        return "\x07";
      case 98:
        return "\b";
      case 116:
        return "	";
      case 9:
        return "	";
      case 110:
        return "\n";
      case 118:
        return "\v";
      case 102:
        return "\f";
      case 114:
        return "\r";
      case 101:
        return "\x1B";
      case 32:
        return " ";
      case 34:
        return '"';
      case 47:
        return "/";
      case 92:
        return "\\";
      case 78:
        return "";
      case 95:
        return " ";
      case 76:
        return "\u2028";
      case 80:
        return "\u2029";
      default:
        return "";
    }
  }
  function charFromCodepoint(c) {
    if (c <= 65535) {
      return String.fromCharCode(c);
    }
    return String.fromCharCode(
      (c - 65536 >> 10) + 55296,
      (c - 65536 & 1023) + 56320
    );
  }
  function setProperty(object, key, value) {
    if (key === "__proto__") {
      Object.defineProperty(object, key, {
        configurable: true,
        enumerable: true,
        writable: true,
        value
      });
    } else {
      object[key] = value;
    }
  }
  const simpleEscapeCheck = new Array(256);
  const simpleEscapeMap = new Array(256);
  for (let i = 0; i < 256; i++) {
    simpleEscapeCheck[i] = simpleEscapeSequence(i) ? 1 : 0;
    simpleEscapeMap[i] = simpleEscapeSequence(i);
  }
  function State(input, options) {
    this.input = input;
    this.filename = options["filename"] || null;
    this.schema = options["schema"] || DEFAULT_SCHEMA2;
    this.onWarning = options["onWarning"] || null;
    this.legacy = options["legacy"] || false;
    this.json = options["json"] || false;
    this.listener = options["listener"] || null;
    this.maxDepth = typeof options["maxDepth"] === "number" ? options["maxDepth"] : 100;
    this.maxTotalMergeKeys = typeof options["maxTotalMergeKeys"] === "number" ? options["maxTotalMergeKeys"] : 1e4;
    this.implicitTypes = this.schema.compiledImplicit;
    this.typeMap = this.schema.compiledTypeMap;
    this.length = input.length;
    this.position = 0;
    this.line = 0;
    this.lineStart = 0;
    this.lineIndent = 0;
    this.depth = 0;
    this.totalMergeKeys = 0;
    this.firstTabInLine = -1;
    this.documents = [];
    this.anchorMapTransactions = [];
  }
  function generateError(state, message) {
    const mark = {
      name: state.filename,
      buffer: state.input.slice(0, -1),
      // omit trailing \0
      position: state.position,
      line: state.line,
      column: state.position - state.lineStart
    };
    mark.snippet = makeSnippet(mark);
    return new YAMLException2(message, mark);
  }
  function throwError(state, message) {
    throw generateError(state, message);
  }
  function throwWarning(state, message) {
    if (state.onWarning) {
      state.onWarning.call(null, generateError(state, message));
    }
  }
  function storeAnchor(state, name, value) {
    const transactions = state.anchorMapTransactions;
    if (transactions.length !== 0) {
      const transaction = transactions[transactions.length - 1];
      if (!_hasOwnProperty.call(transaction, name)) {
        transaction[name] = {
          existed: _hasOwnProperty.call(state.anchorMap, name),
          value: state.anchorMap[name]
        };
      }
    }
    state.anchorMap[name] = value;
  }
  function beginAnchorTransaction(state) {
    state.anchorMapTransactions.push(/* @__PURE__ */ Object.create(null));
  }
  function commitAnchorTransaction(state) {
    const transaction = state.anchorMapTransactions.pop();
    const transactions = state.anchorMapTransactions;
    if (transactions.length === 0) return;
    const parent = transactions[transactions.length - 1];
    const names = Object.keys(transaction);
    for (let index = 0, length = names.length; index < length; index += 1) {
      const name = names[index];
      if (!_hasOwnProperty.call(parent, name)) {
        parent[name] = transaction[name];
      }
    }
  }
  function rollbackAnchorTransaction(state) {
    const transaction = state.anchorMapTransactions.pop();
    const names = Object.keys(transaction);
    for (let index = names.length - 1; index >= 0; index -= 1) {
      const entry = transaction[names[index]];
      if (entry.existed) {
        state.anchorMap[names[index]] = entry.value;
      } else {
        delete state.anchorMap[names[index]];
      }
    }
  }
  function snapshotState(state) {
    return {
      position: state.position,
      line: state.line,
      lineStart: state.lineStart,
      lineIndent: state.lineIndent,
      firstTabInLine: state.firstTabInLine,
      tag: state.tag,
      anchor: state.anchor,
      kind: state.kind,
      result: state.result
    };
  }
  function restoreState(state, snapshot) {
    state.position = snapshot.position;
    state.line = snapshot.line;
    state.lineStart = snapshot.lineStart;
    state.lineIndent = snapshot.lineIndent;
    state.firstTabInLine = snapshot.firstTabInLine;
    state.tag = snapshot.tag;
    state.anchor = snapshot.anchor;
    state.kind = snapshot.kind;
    state.result = snapshot.result;
  }
  const directiveHandlers = {
    YAML: function handleYamlDirective(state, name, args) {
      if (state.version !== null) {
        throwError(state, "duplication of %YAML directive");
      }
      if (args.length !== 1) {
        throwError(state, "YAML directive accepts exactly one argument");
      }
      const match = /^([0-9]+)\.([0-9]+)$/.exec(args[0]);
      if (match === null) {
        throwError(state, "ill-formed argument of the YAML directive");
      }
      const major = parseInt(match[1], 10);
      const minor = parseInt(match[2], 10);
      if (major !== 1) {
        throwError(state, "unacceptable YAML version of the document");
      }
      state.version = args[0];
      state.checkLineBreaks = minor < 2;
      if (minor !== 1 && minor !== 2) {
        throwWarning(state, "unsupported YAML version of the document");
      }
    },
    TAG: function handleTagDirective(state, name, args) {
      let prefix;
      if (args.length !== 2) {
        throwError(state, "TAG directive accepts exactly two arguments");
      }
      const handle = args[0];
      prefix = args[1];
      if (!PATTERN_TAG_HANDLE.test(handle)) {
        throwError(state, "ill-formed tag handle (first argument) of the TAG directive");
      }
      if (_hasOwnProperty.call(state.tagMap, handle)) {
        throwError(state, 'there is a previously declared suffix for "' + handle + '" tag handle');
      }
      if (!PATTERN_TAG_URI.test(prefix)) {
        throwError(state, "ill-formed tag prefix (second argument) of the TAG directive");
      }
      try {
        prefix = decodeURIComponent(prefix);
      } catch (err) {
        throwError(state, "tag prefix is malformed: " + prefix);
      }
      state.tagMap[handle] = prefix;
    }
  };
  function captureSegment(state, start, end, checkJson) {
    if (start < end) {
      const _result = state.input.slice(start, end);
      if (checkJson) {
        for (let _position = 0, _length = _result.length; _position < _length; _position += 1) {
          const _character = _result.charCodeAt(_position);
          if (!(_character === 9 || _character >= 32 && _character <= 1114111)) {
            throwError(state, "expected valid JSON character");
          }
        }
      } else if (PATTERN_NON_PRINTABLE.test(_result)) {
        throwError(state, "the stream contains non-printable characters");
      }
      state.result += _result;
    }
  }
  function chargeMergeWork(state) {
    state.totalMergeKeys++;
    if (state.maxTotalMergeKeys !== -1 && state.totalMergeKeys > state.maxTotalMergeKeys) {
      throwError(state, "merge keys exceeded maxTotalMergeKeys (" + state.maxTotalMergeKeys + ")");
    }
  }
  function mergeMappings(state, destination, source, overridableKeys) {
    if (!common2.isObject(source)) {
      throwError(state, "cannot merge mappings; the provided source object is unacceptable");
    }
    chargeMergeWork(state);
    const sourceKeys = Object.keys(source);
    for (let index = 0, quantity = sourceKeys.length; index < quantity; index += 1) {
      const key = sourceKeys[index];
      chargeMergeWork(state);
      if (!_hasOwnProperty.call(destination, key)) {
        setProperty(destination, key, source[key]);
        overridableKeys[key] = true;
      }
    }
  }
  function storeMappingPair(state, _result, overridableKeys, keyTag, keyNode, valueNode, startLine, startLineStart, startPos) {
    if (Array.isArray(keyNode)) {
      keyNode = Array.prototype.slice.call(keyNode);
      for (let index = 0, quantity = keyNode.length; index < quantity; index += 1) {
        if (Array.isArray(keyNode[index])) {
          throwError(state, "nested arrays are not supported inside keys");
        }
        if (typeof keyNode === "object" && _class(keyNode[index]) === "[object Object]") {
          keyNode[index] = "[object Object]";
        }
      }
    }
    if (typeof keyNode === "object" && _class(keyNode) === "[object Object]") {
      keyNode = "[object Object]";
    }
    keyNode = String(keyNode);
    if (_result === null) {
      _result = {};
    }
    if (keyTag === "tag:yaml.org,2002:merge") {
      if (Array.isArray(valueNode)) {
        if (valueNode.length > 100) {
          throwError(state, "abnormal merge sequence size");
        }
        for (let index = 0, quantity = valueNode.length; index < quantity; index += 1) {
          mergeMappings(state, _result, valueNode[index], overridableKeys);
        }
      } else {
        mergeMappings(state, _result, valueNode, overridableKeys);
      }
    } else {
      if (!state.json && !_hasOwnProperty.call(overridableKeys, keyNode) && _hasOwnProperty.call(_result, keyNode)) {
        state.line = startLine || state.line;
        state.lineStart = startLineStart || state.lineStart;
        state.position = startPos || state.position;
        throwError(state, "duplicated mapping key");
      }
      setProperty(_result, keyNode, valueNode);
      delete overridableKeys[keyNode];
    }
    return _result;
  }
  function readLineBreak(state) {
    const ch = state.input.charCodeAt(state.position);
    if (ch === 10) {
      state.position++;
    } else if (ch === 13) {
      state.position++;
      if (state.input.charCodeAt(state.position) === 10) {
        state.position++;
      }
    } else {
      throwError(state, "a line break is expected");
    }
    state.line += 1;
    state.lineStart = state.position;
    state.firstTabInLine = -1;
  }
  function skipSeparationSpace(state, allowComments, checkIndent) {
    let lineBreaks = 0;
    let ch = state.input.charCodeAt(state.position);
    while (ch !== 0) {
      while (isWhiteSpace(ch)) {
        if (ch === 9 && state.firstTabInLine === -1) {
          state.firstTabInLine = state.position;
        }
        ch = state.input.charCodeAt(++state.position);
      }
      if (allowComments && ch === 35) {
        do {
          ch = state.input.charCodeAt(++state.position);
        } while (ch !== 10 && ch !== 13 && ch !== 0);
      }
      if (isEol(ch)) {
        readLineBreak(state);
        ch = state.input.charCodeAt(state.position);
        lineBreaks++;
        state.lineIndent = 0;
        while (ch === 32) {
          state.lineIndent++;
          ch = state.input.charCodeAt(++state.position);
        }
      } else {
        break;
      }
    }
    if (checkIndent !== -1 && lineBreaks !== 0 && state.lineIndent < checkIndent) {
      throwWarning(state, "deficient indentation");
    }
    return lineBreaks;
  }
  function testDocumentSeparator(state) {
    let _position = state.position;
    let ch = state.input.charCodeAt(_position);
    if ((ch === 45 || ch === 46) && ch === state.input.charCodeAt(_position + 1) && ch === state.input.charCodeAt(_position + 2)) {
      _position += 3;
      ch = state.input.charCodeAt(_position);
      if (ch === 0 || isWsOrEol(ch)) {
        return true;
      }
    }
    return false;
  }
  function writeFoldedLines(state, count) {
    if (count === 1) {
      state.result += " ";
    } else if (count > 1) {
      state.result += common2.repeat("\n", count - 1);
    }
  }
  function readPlainScalar(state, nodeIndent, withinFlowCollection) {
    let captureStart;
    let captureEnd;
    let hasPendingContent;
    let _line;
    let _lineStart;
    let _lineIndent;
    const _kind = state.kind;
    const _result = state.result;
    let ch = state.input.charCodeAt(state.position);
    if (isWsOrEol(ch) || isFlowIndicator(ch) || ch === 35 || ch === 38 || ch === 42 || ch === 33 || ch === 124 || ch === 62 || ch === 39 || ch === 34 || ch === 37 || ch === 64 || ch === 96) {
      return false;
    }
    if (ch === 63 || ch === 45) {
      const following = state.input.charCodeAt(state.position + 1);
      if (isWsOrEol(following) || withinFlowCollection && isFlowIndicator(following)) {
        return false;
      }
    }
    state.kind = "scalar";
    state.result = "";
    captureStart = captureEnd = state.position;
    hasPendingContent = false;
    while (ch !== 0) {
      if (ch === 58) {
        const following = state.input.charCodeAt(state.position + 1);
        if (isWsOrEol(following) || withinFlowCollection && isFlowIndicator(following)) {
          break;
        }
      } else if (ch === 35) {
        const preceding = state.input.charCodeAt(state.position - 1);
        if (isWsOrEol(preceding)) {
          break;
        }
      } else if (state.position === state.lineStart && testDocumentSeparator(state) || withinFlowCollection && isFlowIndicator(ch)) {
        break;
      } else if (isEol(ch)) {
        _line = state.line;
        _lineStart = state.lineStart;
        _lineIndent = state.lineIndent;
        skipSeparationSpace(state, false, -1);
        if (state.lineIndent >= nodeIndent) {
          hasPendingContent = true;
          ch = state.input.charCodeAt(state.position);
          continue;
        } else {
          state.position = captureEnd;
          state.line = _line;
          state.lineStart = _lineStart;
          state.lineIndent = _lineIndent;
          break;
        }
      }
      if (hasPendingContent) {
        captureSegment(state, captureStart, captureEnd, false);
        writeFoldedLines(state, state.line - _line);
        captureStart = captureEnd = state.position;
        hasPendingContent = false;
      }
      if (!isWhiteSpace(ch)) {
        captureEnd = state.position + 1;
      }
      ch = state.input.charCodeAt(++state.position);
    }
    captureSegment(state, captureStart, captureEnd, false);
    if (state.result) {
      return true;
    }
    state.kind = _kind;
    state.result = _result;
    return false;
  }
  function readSingleQuotedScalar(state, nodeIndent) {
    let captureStart;
    let captureEnd;
    let ch = state.input.charCodeAt(state.position);
    if (ch !== 39) {
      return false;
    }
    state.kind = "scalar";
    state.result = "";
    state.position++;
    captureStart = captureEnd = state.position;
    while ((ch = state.input.charCodeAt(state.position)) !== 0) {
      if (ch === 39) {
        captureSegment(state, captureStart, state.position, true);
        ch = state.input.charCodeAt(++state.position);
        if (ch === 39) {
          captureStart = state.position;
          state.position++;
          captureEnd = state.position;
        } else {
          return true;
        }
      } else if (isEol(ch)) {
        captureSegment(state, captureStart, captureEnd, true);
        writeFoldedLines(state, skipSeparationSpace(state, false, nodeIndent));
        captureStart = captureEnd = state.position;
      } else if (state.position === state.lineStart && testDocumentSeparator(state)) {
        throwError(state, "unexpected end of the document within a single quoted scalar");
      } else {
        state.position++;
        if (!isWhiteSpace(ch)) {
          captureEnd = state.position;
        }
      }
    }
    throwError(state, "unexpected end of the stream within a single quoted scalar");
  }
  function readDoubleQuotedScalar(state, nodeIndent) {
    let captureStart;
    let captureEnd;
    let tmp;
    let ch = state.input.charCodeAt(state.position);
    if (ch !== 34) {
      return false;
    }
    state.kind = "scalar";
    state.result = "";
    state.position++;
    captureStart = captureEnd = state.position;
    while ((ch = state.input.charCodeAt(state.position)) !== 0) {
      if (ch === 34) {
        captureSegment(state, captureStart, state.position, true);
        state.position++;
        return true;
      } else if (ch === 92) {
        captureSegment(state, captureStart, state.position, true);
        ch = state.input.charCodeAt(++state.position);
        if (isEol(ch)) {
          skipSeparationSpace(state, false, nodeIndent);
        } else if (ch < 256 && simpleEscapeCheck[ch]) {
          state.result += simpleEscapeMap[ch];
          state.position++;
        } else if ((tmp = escapedHexLen(ch)) > 0) {
          let hexLength = tmp;
          let hexResult = 0;
          for (; hexLength > 0; hexLength--) {
            ch = state.input.charCodeAt(++state.position);
            if ((tmp = fromHexCode(ch)) >= 0) {
              hexResult = (hexResult << 4) + tmp;
            } else {
              throwError(state, "expected hexadecimal character");
            }
          }
          state.result += charFromCodepoint(hexResult);
          state.position++;
        } else {
          throwError(state, "unknown escape sequence");
        }
        captureStart = captureEnd = state.position;
      } else if (isEol(ch)) {
        captureSegment(state, captureStart, captureEnd, true);
        writeFoldedLines(state, skipSeparationSpace(state, false, nodeIndent));
        captureStart = captureEnd = state.position;
      } else if (state.position === state.lineStart && testDocumentSeparator(state)) {
        throwError(state, "unexpected end of the document within a double quoted scalar");
      } else {
        state.position++;
        if (!isWhiteSpace(ch)) {
          captureEnd = state.position;
        }
      }
    }
    throwError(state, "unexpected end of the stream within a double quoted scalar");
  }
  function readFlowCollection(state, nodeIndent) {
    let readNext = true;
    let _line;
    let _lineStart;
    let _pos;
    const _tag = state.tag;
    let _result;
    const _anchor = state.anchor;
    let terminator;
    let isPair;
    let isExplicitPair;
    let isMapping;
    const overridableKeys = /* @__PURE__ */ Object.create(null);
    let keyNode;
    let keyTag;
    let valueNode;
    let ch = state.input.charCodeAt(state.position);
    if (ch === 91) {
      terminator = 93;
      isMapping = false;
      _result = [];
    } else if (ch === 123) {
      terminator = 125;
      isMapping = true;
      _result = {};
    } else {
      return false;
    }
    if (state.anchor !== null) {
      storeAnchor(state, state.anchor, _result);
    }
    ch = state.input.charCodeAt(++state.position);
    while (ch !== 0) {
      skipSeparationSpace(state, true, nodeIndent);
      ch = state.input.charCodeAt(state.position);
      if (ch === terminator) {
        state.position++;
        state.tag = _tag;
        state.anchor = _anchor;
        state.kind = isMapping ? "mapping" : "sequence";
        state.result = _result;
        return true;
      } else if (!readNext) {
        throwError(state, "missed comma between flow collection entries");
      } else if (ch === 44) {
        throwError(state, "expected the node content, but found ','");
      }
      keyTag = keyNode = valueNode = null;
      isPair = isExplicitPair = false;
      if (ch === 63) {
        const following = state.input.charCodeAt(state.position + 1);
        if (isWsOrEol(following)) {
          isPair = isExplicitPair = true;
          state.position++;
          skipSeparationSpace(state, true, nodeIndent);
        }
      }
      _line = state.line;
      _lineStart = state.lineStart;
      _pos = state.position;
      composeNode(state, nodeIndent, CONTEXT_FLOW_IN, false, true);
      keyTag = state.tag;
      keyNode = state.result;
      skipSeparationSpace(state, true, nodeIndent);
      ch = state.input.charCodeAt(state.position);
      if ((isExplicitPair || state.line === _line) && ch === 58) {
        isPair = true;
        ch = state.input.charCodeAt(++state.position);
        skipSeparationSpace(state, true, nodeIndent);
        composeNode(state, nodeIndent, CONTEXT_FLOW_IN, false, true);
        valueNode = state.result;
      }
      if (isMapping) {
        storeMappingPair(state, _result, overridableKeys, keyTag, keyNode, valueNode, _line, _lineStart, _pos);
      } else if (isPair) {
        _result.push(storeMappingPair(state, null, overridableKeys, keyTag, keyNode, valueNode, _line, _lineStart, _pos));
      } else {
        _result.push(keyNode);
      }
      skipSeparationSpace(state, true, nodeIndent);
      ch = state.input.charCodeAt(state.position);
      if (ch === 44) {
        readNext = true;
        ch = state.input.charCodeAt(++state.position);
      } else {
        readNext = false;
      }
    }
    throwError(state, "unexpected end of the stream within a flow collection");
  }
  function readBlockScalar(state, nodeIndent) {
    let folding;
    let chomping = CHOMPING_CLIP;
    let didReadContent = false;
    let detectedIndent = false;
    let textIndent = nodeIndent;
    let emptyLines = 0;
    let atMoreIndented = false;
    let tmp;
    let ch = state.input.charCodeAt(state.position);
    if (ch === 124) {
      folding = false;
    } else if (ch === 62) {
      folding = true;
    } else {
      return false;
    }
    state.kind = "scalar";
    state.result = "";
    while (ch !== 0) {
      ch = state.input.charCodeAt(++state.position);
      if (ch === 43 || ch === 45) {
        if (CHOMPING_CLIP === chomping) {
          chomping = ch === 43 ? CHOMPING_KEEP : CHOMPING_STRIP;
        } else {
          throwError(state, "repeat of a chomping mode identifier");
        }
      } else if ((tmp = fromDecimalCode(ch)) >= 0) {
        if (tmp === 0) {
          throwError(state, "bad explicit indentation width of a block scalar; it cannot be less than one");
        } else if (!detectedIndent) {
          textIndent = nodeIndent + tmp - 1;
          detectedIndent = true;
        } else {
          throwError(state, "repeat of an indentation width identifier");
        }
      } else {
        break;
      }
    }
    if (isWhiteSpace(ch)) {
      do {
        ch = state.input.charCodeAt(++state.position);
      } while (isWhiteSpace(ch));
      if (ch === 35) {
        do {
          ch = state.input.charCodeAt(++state.position);
        } while (!isEol(ch) && ch !== 0);
      }
    }
    while (ch !== 0) {
      readLineBreak(state);
      state.lineIndent = 0;
      ch = state.input.charCodeAt(state.position);
      while ((!detectedIndent || state.lineIndent < textIndent) && ch === 32) {
        state.lineIndent++;
        ch = state.input.charCodeAt(++state.position);
      }
      if (!detectedIndent && state.lineIndent > textIndent) {
        textIndent = state.lineIndent;
      }
      if (isEol(ch)) {
        emptyLines++;
        continue;
      }
      if (!detectedIndent && textIndent === 0) {
        throwError(state, "missing indentation for block scalar");
      }
      if (state.lineIndent < textIndent) {
        if (chomping === CHOMPING_KEEP) {
          state.result += common2.repeat("\n", didReadContent ? 1 + emptyLines : emptyLines);
        } else if (chomping === CHOMPING_CLIP) {
          if (didReadContent) {
            state.result += "\n";
          }
        }
        break;
      }
      if (folding) {
        if (isWhiteSpace(ch)) {
          atMoreIndented = true;
          state.result += common2.repeat("\n", didReadContent ? 1 + emptyLines : emptyLines);
        } else if (atMoreIndented) {
          atMoreIndented = false;
          state.result += common2.repeat("\n", emptyLines + 1);
        } else if (emptyLines === 0) {
          if (didReadContent) {
            state.result += " ";
          }
        } else {
          state.result += common2.repeat("\n", emptyLines);
        }
      } else {
        state.result += common2.repeat("\n", didReadContent ? 1 + emptyLines : emptyLines);
      }
      didReadContent = true;
      detectedIndent = true;
      emptyLines = 0;
      const captureStart = state.position;
      while (!isEol(ch) && ch !== 0) {
        ch = state.input.charCodeAt(++state.position);
      }
      captureSegment(state, captureStart, state.position, false);
    }
    return true;
  }
  function readBlockSequence(state, nodeIndent) {
    const _tag = state.tag;
    const _anchor = state.anchor;
    const _result = [];
    let detected = false;
    if (state.firstTabInLine !== -1) return false;
    if (state.anchor !== null) {
      storeAnchor(state, state.anchor, _result);
    }
    let ch = state.input.charCodeAt(state.position);
    while (ch !== 0) {
      if (state.firstTabInLine !== -1) {
        state.position = state.firstTabInLine;
        throwError(state, "tab characters must not be used in indentation");
      }
      if (ch !== 45) {
        break;
      }
      const following = state.input.charCodeAt(state.position + 1);
      if (!isWsOrEol(following)) {
        break;
      }
      detected = true;
      state.position++;
      if (skipSeparationSpace(state, true, -1)) {
        if (state.lineIndent <= nodeIndent) {
          _result.push(null);
          ch = state.input.charCodeAt(state.position);
          continue;
        }
      }
      const _line = state.line;
      composeNode(state, nodeIndent, CONTEXT_BLOCK_IN, false, true);
      _result.push(state.result);
      skipSeparationSpace(state, true, -1);
      ch = state.input.charCodeAt(state.position);
      if ((state.line === _line || state.lineIndent > nodeIndent) && ch !== 0) {
        throwError(state, "bad indentation of a sequence entry");
      } else if (state.lineIndent < nodeIndent) {
        break;
      }
    }
    if (detected) {
      state.tag = _tag;
      state.anchor = _anchor;
      state.kind = "sequence";
      state.result = _result;
      return true;
    }
    return false;
  }
  function readBlockMapping(state, nodeIndent, flowIndent) {
    let allowCompact;
    let _keyLine;
    let _keyLineStart;
    let _keyPos;
    const _tag = state.tag;
    const _anchor = state.anchor;
    const _result = {};
    const overridableKeys = /* @__PURE__ */ Object.create(null);
    let keyTag = null;
    let keyNode = null;
    let valueNode = null;
    let atExplicitKey = false;
    let detected = false;
    if (state.firstTabInLine !== -1) return false;
    if (state.anchor !== null) {
      storeAnchor(state, state.anchor, _result);
    }
    let ch = state.input.charCodeAt(state.position);
    while (ch !== 0) {
      if (!atExplicitKey && state.firstTabInLine !== -1) {
        state.position = state.firstTabInLine;
        throwError(state, "tab characters must not be used in indentation");
      }
      const following = state.input.charCodeAt(state.position + 1);
      const _line = state.line;
      if ((ch === 63 || ch === 58) && isWsOrEol(following)) {
        if (ch === 63) {
          if (atExplicitKey) {
            storeMappingPair(state, _result, overridableKeys, keyTag, keyNode, null, _keyLine, _keyLineStart, _keyPos);
            keyTag = keyNode = valueNode = null;
          }
          detected = true;
          atExplicitKey = true;
          allowCompact = true;
        } else if (atExplicitKey) {
          atExplicitKey = false;
          allowCompact = true;
        } else {
          throwError(state, "incomplete explicit mapping pair; a key node is missed; or followed by a non-tabulated empty line");
        }
        state.position += 1;
        ch = following;
      } else {
        _keyLine = state.line;
        _keyLineStart = state.lineStart;
        _keyPos = state.position;
        if (!composeNode(state, flowIndent, CONTEXT_FLOW_OUT, false, true)) {
          break;
        }
        if (state.line === _line) {
          ch = state.input.charCodeAt(state.position);
          while (isWhiteSpace(ch)) {
            ch = state.input.charCodeAt(++state.position);
          }
          if (ch === 58) {
            ch = state.input.charCodeAt(++state.position);
            if (!isWsOrEol(ch)) {
              throwError(state, "a whitespace character is expected after the key-value separator within a block mapping");
            }
            if (atExplicitKey) {
              storeMappingPair(state, _result, overridableKeys, keyTag, keyNode, null, _keyLine, _keyLineStart, _keyPos);
              keyTag = keyNode = valueNode = null;
            }
            detected = true;
            atExplicitKey = false;
            allowCompact = false;
            keyTag = state.tag;
            keyNode = state.result;
          } else if (detected) {
            throwError(state, "can not read an implicit mapping pair; a colon is missed");
          } else {
            state.tag = _tag;
            state.anchor = _anchor;
            return true;
          }
        } else if (detected) {
          throwError(state, "can not read a block mapping entry; a multiline key may not be an implicit key");
        } else {
          state.tag = _tag;
          state.anchor = _anchor;
          return true;
        }
      }
      if (state.line === _line || state.lineIndent > nodeIndent) {
        if (atExplicitKey) {
          _keyLine = state.line;
          _keyLineStart = state.lineStart;
          _keyPos = state.position;
        }
        if (composeNode(state, nodeIndent, CONTEXT_BLOCK_OUT, true, allowCompact)) {
          if (atExplicitKey) {
            keyNode = state.result;
          } else {
            valueNode = state.result;
          }
        }
        if (!atExplicitKey) {
          storeMappingPair(state, _result, overridableKeys, keyTag, keyNode, valueNode, _keyLine, _keyLineStart, _keyPos);
          keyTag = keyNode = valueNode = null;
        }
        skipSeparationSpace(state, true, -1);
        ch = state.input.charCodeAt(state.position);
      }
      if ((state.line === _line || state.lineIndent > nodeIndent) && ch !== 0) {
        throwError(state, "bad indentation of a mapping entry");
      } else if (state.lineIndent < nodeIndent) {
        break;
      }
    }
    if (atExplicitKey) {
      storeMappingPair(state, _result, overridableKeys, keyTag, keyNode, null, _keyLine, _keyLineStart, _keyPos);
    }
    if (detected) {
      state.tag = _tag;
      state.anchor = _anchor;
      state.kind = "mapping";
      state.result = _result;
    }
    return detected;
  }
  function readTagProperty(state) {
    let isVerbatim = false;
    let isNamed = false;
    let tagHandle;
    let tagName;
    let ch = state.input.charCodeAt(state.position);
    if (ch !== 33) return false;
    if (state.tag !== null) {
      throwError(state, "duplication of a tag property");
    }
    ch = state.input.charCodeAt(++state.position);
    if (ch === 60) {
      isVerbatim = true;
      ch = state.input.charCodeAt(++state.position);
    } else if (ch === 33) {
      isNamed = true;
      tagHandle = "!!";
      ch = state.input.charCodeAt(++state.position);
    } else {
      tagHandle = "!";
    }
    let _position = state.position;
    if (isVerbatim) {
      do {
        ch = state.input.charCodeAt(++state.position);
      } while (ch !== 0 && ch !== 62);
      if (state.position < state.length) {
        tagName = state.input.slice(_position, state.position);
        ch = state.input.charCodeAt(++state.position);
      } else {
        throwError(state, "unexpected end of the stream within a verbatim tag");
      }
    } else {
      while (ch !== 0 && !isWsOrEol(ch)) {
        if (ch === 33) {
          if (!isNamed) {
            tagHandle = state.input.slice(_position - 1, state.position + 1);
            if (!PATTERN_TAG_HANDLE.test(tagHandle)) {
              throwError(state, "named tag handle cannot contain such characters");
            }
            isNamed = true;
            _position = state.position + 1;
          } else {
            throwError(state, "tag suffix cannot contain exclamation marks");
          }
        }
        ch = state.input.charCodeAt(++state.position);
      }
      tagName = state.input.slice(_position, state.position);
      if (PATTERN_FLOW_INDICATORS.test(tagName)) {
        throwError(state, "tag suffix cannot contain flow indicator characters");
      }
    }
    if (tagName && !PATTERN_TAG_URI.test(tagName)) {
      throwError(state, "tag name cannot contain such characters: " + tagName);
    }
    try {
      tagName = decodeURIComponent(tagName);
    } catch (err) {
      throwError(state, "tag name is malformed: " + tagName);
    }
    if (isVerbatim) {
      state.tag = tagName;
    } else if (_hasOwnProperty.call(state.tagMap, tagHandle)) {
      state.tag = state.tagMap[tagHandle] + tagName;
    } else if (tagHandle === "!") {
      state.tag = "!" + tagName;
    } else if (tagHandle === "!!") {
      state.tag = "tag:yaml.org,2002:" + tagName;
    } else {
      throwError(state, 'undeclared tag handle "' + tagHandle + '"');
    }
    return true;
  }
  function readAnchorProperty(state) {
    let ch = state.input.charCodeAt(state.position);
    if (ch !== 38) return false;
    if (state.anchor !== null) {
      throwError(state, "duplication of an anchor property");
    }
    ch = state.input.charCodeAt(++state.position);
    const _position = state.position;
    while (ch !== 0 && !isWsOrEol(ch) && !isFlowIndicator(ch)) {
      ch = state.input.charCodeAt(++state.position);
    }
    if (state.position === _position) {
      throwError(state, "name of an anchor node must contain at least one character");
    }
    state.anchor = state.input.slice(_position, state.position);
    return true;
  }
  function readAlias(state) {
    let ch = state.input.charCodeAt(state.position);
    if (ch !== 42) return false;
    ch = state.input.charCodeAt(++state.position);
    const _position = state.position;
    while (ch !== 0 && !isWsOrEol(ch) && !isFlowIndicator(ch)) {
      ch = state.input.charCodeAt(++state.position);
    }
    if (state.position === _position) {
      throwError(state, "name of an alias node must contain at least one character");
    }
    const alias = state.input.slice(_position, state.position);
    if (!_hasOwnProperty.call(state.anchorMap, alias)) {
      throwError(state, 'unidentified alias "' + alias + '"');
    }
    state.result = state.anchorMap[alias];
    skipSeparationSpace(state, true, -1);
    return true;
  }
  function tryReadBlockMappingFromProperty(state, propertyStart, nodeIndent, flowIndent) {
    const fallbackState = snapshotState(state);
    beginAnchorTransaction(state);
    restoreState(state, propertyStart);
    state.tag = null;
    state.anchor = null;
    state.kind = null;
    state.result = null;
    if (readBlockMapping(state, nodeIndent, flowIndent) && state.kind === "mapping") {
      commitAnchorTransaction(state);
      return true;
    }
    rollbackAnchorTransaction(state);
    restoreState(state, fallbackState);
    return false;
  }
  function composeNode(state, parentIndent, nodeContext, allowToSeek, allowCompact) {
    let allowBlockScalars;
    let allowBlockCollections;
    let indentStatus = 1;
    let atNewLine = false;
    let hasContent = false;
    let propertyStart = null;
    let type2;
    let flowIndent;
    let blockIndent;
    if (state.depth >= state.maxDepth) {
      throwError(state, "nesting exceeded maxDepth (" + state.maxDepth + ")");
    }
    state.depth += 1;
    if (state.listener !== null) {
      state.listener("open", state);
    }
    state.tag = null;
    state.anchor = null;
    state.kind = null;
    state.result = null;
    const allowBlockStyles = allowBlockScalars = allowBlockCollections = CONTEXT_BLOCK_OUT === nodeContext || CONTEXT_BLOCK_IN === nodeContext;
    if (allowToSeek) {
      if (skipSeparationSpace(state, true, -1)) {
        atNewLine = true;
        if (state.lineIndent > parentIndent) {
          indentStatus = 1;
        } else if (state.lineIndent === parentIndent) {
          indentStatus = 0;
        } else if (state.lineIndent < parentIndent) {
          indentStatus = -1;
        }
      }
    }
    if (indentStatus === 1) {
      while (true) {
        const ch = state.input.charCodeAt(state.position);
        const propertyState = snapshotState(state);
        if (atNewLine && (ch === 33 && state.tag !== null || ch === 38 && state.anchor !== null)) {
          break;
        }
        if (!readTagProperty(state) && !readAnchorProperty(state)) {
          break;
        }
        if (propertyStart === null) {
          propertyStart = propertyState;
        }
        if (skipSeparationSpace(state, true, -1)) {
          atNewLine = true;
          allowBlockCollections = allowBlockStyles;
          if (state.lineIndent > parentIndent) {
            indentStatus = 1;
          } else if (state.lineIndent === parentIndent) {
            indentStatus = 0;
          } else if (state.lineIndent < parentIndent) {
            indentStatus = -1;
          }
        } else {
          allowBlockCollections = false;
        }
      }
    }
    if (allowBlockCollections) {
      allowBlockCollections = atNewLine || allowCompact;
    }
    if (indentStatus === 1 || CONTEXT_BLOCK_OUT === nodeContext) {
      if (CONTEXT_FLOW_IN === nodeContext || CONTEXT_FLOW_OUT === nodeContext) {
        flowIndent = parentIndent;
      } else {
        flowIndent = parentIndent + 1;
      }
      blockIndent = state.position - state.lineStart;
      if (indentStatus === 1) {
        if (allowBlockCollections && (readBlockSequence(state, blockIndent) || readBlockMapping(state, blockIndent, flowIndent)) || readFlowCollection(state, flowIndent)) {
          hasContent = true;
        } else {
          const ch = state.input.charCodeAt(state.position);
          if (propertyStart !== null && allowBlockStyles && !allowBlockCollections && ch !== 124 && ch !== 62 && tryReadBlockMappingFromProperty(
            state,
            propertyStart,
            propertyStart.position - propertyStart.lineStart,
            flowIndent
          )) {
            hasContent = true;
          } else if (allowBlockScalars && readBlockScalar(state, flowIndent) || readSingleQuotedScalar(state, flowIndent) || readDoubleQuotedScalar(state, flowIndent)) {
            hasContent = true;
          } else if (readAlias(state)) {
            hasContent = true;
            if (state.tag !== null || state.anchor !== null) {
              throwError(state, "alias node should not have any properties");
            }
          } else if (readPlainScalar(state, flowIndent, CONTEXT_FLOW_IN === nodeContext)) {
            hasContent = true;
            if (state.tag === null) {
              state.tag = "?";
            }
          }
          if (state.anchor !== null) {
            storeAnchor(state, state.anchor, state.result);
          }
        }
      } else if (indentStatus === 0) {
        hasContent = allowBlockCollections && readBlockSequence(state, blockIndent);
      }
    }
    if (state.tag === null) {
      if (state.anchor !== null) {
        storeAnchor(state, state.anchor, state.result);
      }
    } else if (state.tag === "?") {
      if (state.result !== null && state.kind !== "scalar") {
        throwError(state, 'unacceptable node kind for !<?> tag; it should be "scalar", not "' + state.kind + '"');
      }
      for (let typeIndex = 0, typeQuantity = state.implicitTypes.length; typeIndex < typeQuantity; typeIndex += 1) {
        type2 = state.implicitTypes[typeIndex];
        if (type2.resolve(state.result)) {
          state.result = type2.construct(state.result);
          state.tag = type2.tag;
          if (state.anchor !== null) {
            storeAnchor(state, state.anchor, state.result);
          }
          break;
        }
      }
    } else if (state.tag !== "!") {
      if (_hasOwnProperty.call(state.typeMap[state.kind || "fallback"], state.tag)) {
        type2 = state.typeMap[state.kind || "fallback"][state.tag];
      } else {
        type2 = null;
        const typeList = state.typeMap.multi[state.kind || "fallback"];
        for (let typeIndex = 0, typeQuantity = typeList.length; typeIndex < typeQuantity; typeIndex += 1) {
          if (state.tag.slice(0, typeList[typeIndex].tag.length) === typeList[typeIndex].tag) {
            type2 = typeList[typeIndex];
            break;
          }
        }
      }
      if (!type2) {
        throwError(state, "unknown tag !<" + state.tag + ">");
      }
      if (state.result !== null && type2.kind !== state.kind) {
        throwError(state, "unacceptable node kind for !<" + state.tag + '> tag; it should be "' + type2.kind + '", not "' + state.kind + '"');
      }
      if (!type2.resolve(state.result, state.tag)) {
        throwError(state, "cannot resolve a node with !<" + state.tag + "> explicit tag");
      } else {
        state.result = type2.construct(state.result, state.tag);
        if (state.anchor !== null) {
          storeAnchor(state, state.anchor, state.result);
        }
      }
    }
    if (state.listener !== null) {
      state.listener("close", state);
    }
    state.depth -= 1;
    return state.tag !== null || state.anchor !== null || hasContent;
  }
  function readDocument(state) {
    const documentStart = state.position;
    let hasDirectives = false;
    let ch;
    state.version = null;
    state.checkLineBreaks = state.legacy;
    state.tagMap = /* @__PURE__ */ Object.create(null);
    state.anchorMap = /* @__PURE__ */ Object.create(null);
    while ((ch = state.input.charCodeAt(state.position)) !== 0) {
      skipSeparationSpace(state, true, -1);
      ch = state.input.charCodeAt(state.position);
      if (state.lineIndent > 0 || ch !== 37) {
        break;
      }
      hasDirectives = true;
      ch = state.input.charCodeAt(++state.position);
      let _position = state.position;
      while (ch !== 0 && !isWsOrEol(ch)) {
        ch = state.input.charCodeAt(++state.position);
      }
      const directiveName = state.input.slice(_position, state.position);
      const directiveArgs = [];
      if (directiveName.length < 1) {
        throwError(state, "directive name must not be less than one character in length");
      }
      while (ch !== 0) {
        while (isWhiteSpace(ch)) {
          ch = state.input.charCodeAt(++state.position);
        }
        if (ch === 35) {
          do {
            ch = state.input.charCodeAt(++state.position);
          } while (ch !== 0 && !isEol(ch));
          break;
        }
        if (isEol(ch)) break;
        _position = state.position;
        while (ch !== 0 && !isWsOrEol(ch)) {
          ch = state.input.charCodeAt(++state.position);
        }
        directiveArgs.push(state.input.slice(_position, state.position));
      }
      if (ch !== 0) readLineBreak(state);
      if (_hasOwnProperty.call(directiveHandlers, directiveName)) {
        directiveHandlers[directiveName](state, directiveName, directiveArgs);
      } else {
        throwWarning(state, 'unknown document directive "' + directiveName + '"');
      }
    }
    skipSeparationSpace(state, true, -1);
    if (state.lineIndent === 0 && state.input.charCodeAt(state.position) === 45 && state.input.charCodeAt(state.position + 1) === 45 && state.input.charCodeAt(state.position + 2) === 45) {
      state.position += 3;
      skipSeparationSpace(state, true, -1);
    } else if (hasDirectives) {
      throwError(state, "directives end mark is expected");
    }
    composeNode(state, state.lineIndent - 1, CONTEXT_BLOCK_OUT, false, true);
    skipSeparationSpace(state, true, -1);
    if (state.checkLineBreaks && PATTERN_NON_ASCII_LINE_BREAKS.test(state.input.slice(documentStart, state.position))) {
      throwWarning(state, "non-ASCII line breaks are interpreted as content");
    }
    state.documents.push(state.result);
    if (state.position === state.lineStart && testDocumentSeparator(state)) {
      if (state.input.charCodeAt(state.position) === 46) {
        state.position += 3;
        skipSeparationSpace(state, true, -1);
      }
      return;
    }
    if (state.position < state.length - 1) {
      throwError(state, "end of the stream or a document separator is expected");
    }
  }
  function loadDocuments(input, options) {
    input = String(input);
    options = options || {};
    if (input.length !== 0) {
      if (input.charCodeAt(input.length - 1) !== 10 && input.charCodeAt(input.length - 1) !== 13) {
        input += "\n";
      }
      if (input.charCodeAt(0) === 65279) {
        input = input.slice(1);
      }
    }
    const state = new State(input, options);
    const nullpos = input.indexOf("\0");
    if (nullpos !== -1) {
      state.position = nullpos;
      throwError(state, "null byte is not allowed in input");
    }
    state.input += "\0";
    while (state.input.charCodeAt(state.position) === 32) {
      state.lineIndent += 1;
      state.position += 1;
    }
    while (state.position < state.length - 1) {
      readDocument(state);
    }
    return state.documents;
  }
  function loadAll2(input, iterator, options) {
    if (iterator !== null && typeof iterator === "object" && typeof options === "undefined") {
      options = iterator;
      iterator = null;
    }
    const documents = loadDocuments(input, options);
    if (typeof iterator !== "function") {
      return documents;
    }
    for (let index = 0, length = documents.length; index < length; index += 1) {
      iterator(documents[index]);
    }
  }
  function load2(input, options) {
    const documents = loadDocuments(input, options);
    if (documents.length === 0) {
      return void 0;
    } else if (documents.length === 1) {
      return documents[0];
    }
    throw new YAMLException2("expected a single document in the stream, but found more");
  }
  loader.loadAll = loadAll2;
  loader.load = load2;
  return loader;
}
var dumper = {};
var hasRequiredDumper;
function requireDumper() {
  if (hasRequiredDumper) return dumper;
  hasRequiredDumper = 1;
  const common2 = requireCommon();
  const YAMLException2 = requireException();
  const DEFAULT_SCHEMA2 = require_default();
  const _toString = Object.prototype.toString;
  const _hasOwnProperty = Object.prototype.hasOwnProperty;
  const CHAR_BOM = 65279;
  const CHAR_TAB = 9;
  const CHAR_LINE_FEED = 10;
  const CHAR_CARRIAGE_RETURN = 13;
  const CHAR_SPACE = 32;
  const CHAR_EXCLAMATION = 33;
  const CHAR_DOUBLE_QUOTE = 34;
  const CHAR_SHARP = 35;
  const CHAR_PERCENT = 37;
  const CHAR_AMPERSAND = 38;
  const CHAR_SINGLE_QUOTE = 39;
  const CHAR_ASTERISK = 42;
  const CHAR_COMMA = 44;
  const CHAR_MINUS = 45;
  const CHAR_COLON = 58;
  const CHAR_EQUALS = 61;
  const CHAR_GREATER_THAN = 62;
  const CHAR_QUESTION = 63;
  const CHAR_COMMERCIAL_AT = 64;
  const CHAR_LEFT_SQUARE_BRACKET = 91;
  const CHAR_RIGHT_SQUARE_BRACKET = 93;
  const CHAR_GRAVE_ACCENT = 96;
  const CHAR_LEFT_CURLY_BRACKET = 123;
  const CHAR_VERTICAL_LINE = 124;
  const CHAR_RIGHT_CURLY_BRACKET = 125;
  const ESCAPE_SEQUENCES = {};
  ESCAPE_SEQUENCES[0] = "\\0";
  ESCAPE_SEQUENCES[7] = "\\a";
  ESCAPE_SEQUENCES[8] = "\\b";
  ESCAPE_SEQUENCES[9] = "\\t";
  ESCAPE_SEQUENCES[10] = "\\n";
  ESCAPE_SEQUENCES[11] = "\\v";
  ESCAPE_SEQUENCES[12] = "\\f";
  ESCAPE_SEQUENCES[13] = "\\r";
  ESCAPE_SEQUENCES[27] = "\\e";
  ESCAPE_SEQUENCES[34] = '\\"';
  ESCAPE_SEQUENCES[92] = "\\\\";
  ESCAPE_SEQUENCES[133] = "\\N";
  ESCAPE_SEQUENCES[160] = "\\_";
  ESCAPE_SEQUENCES[8232] = "\\L";
  ESCAPE_SEQUENCES[8233] = "\\P";
  const DEPRECATED_BOOLEANS_SYNTAX = [
    "y",
    "Y",
    "yes",
    "Yes",
    "YES",
    "on",
    "On",
    "ON",
    "n",
    "N",
    "no",
    "No",
    "NO",
    "off",
    "Off",
    "OFF"
  ];
  const DEPRECATED_BASE60_SYNTAX = /^[-+]?[0-9_]+(?::[0-9_]+)+(?:\.[0-9_]*)?$/;
  function compileStyleMap(schema2, map2) {
    if (map2 === null) return {};
    const result = {};
    const keys = Object.keys(map2);
    for (let index = 0, length = keys.length; index < length; index += 1) {
      let tag = keys[index];
      let style = String(map2[tag]);
      if (tag.slice(0, 2) === "!!") {
        tag = "tag:yaml.org,2002:" + tag.slice(2);
      }
      const type2 = schema2.compiledTypeMap["fallback"][tag];
      if (type2 && _hasOwnProperty.call(type2.styleAliases, style)) {
        style = type2.styleAliases[style];
      }
      result[tag] = style;
    }
    return result;
  }
  function encodeHex(character) {
    let handle;
    let length;
    const string = character.toString(16).toUpperCase();
    if (character <= 255) {
      handle = "x";
      length = 2;
    } else if (character <= 65535) {
      handle = "u";
      length = 4;
    } else if (character <= 4294967295) {
      handle = "U";
      length = 8;
    } else {
      throw new YAMLException2("code point within a string may not be greater than 0xFFFFFFFF");
    }
    return "\\" + handle + common2.repeat("0", length - string.length) + string;
  }
  const QUOTING_TYPE_SINGLE = 1;
  const QUOTING_TYPE_DOUBLE = 2;
  function State(options) {
    this.schema = options["schema"] || DEFAULT_SCHEMA2;
    this.indent = Math.max(1, options["indent"] || 2);
    this.noArrayIndent = options["noArrayIndent"] || false;
    this.skipInvalid = options["skipInvalid"] || false;
    this.flowLevel = common2.isNothing(options["flowLevel"]) ? -1 : options["flowLevel"];
    this.styleMap = compileStyleMap(this.schema, options["styles"] || null);
    this.sortKeys = options["sortKeys"] || false;
    this.lineWidth = options["lineWidth"] || 80;
    this.noRefs = options["noRefs"] || false;
    this.noCompatMode = options["noCompatMode"] || false;
    this.condenseFlow = options["condenseFlow"] || false;
    this.quotingType = options["quotingType"] === '"' ? QUOTING_TYPE_DOUBLE : QUOTING_TYPE_SINGLE;
    this.forceQuotes = options["forceQuotes"] || false;
    this.replacer = typeof options["replacer"] === "function" ? options["replacer"] : null;
    this.implicitTypes = this.schema.compiledImplicit;
    this.explicitTypes = this.schema.compiledExplicit;
    this.tag = null;
    this.result = "";
    this.duplicates = [];
    this.usedDuplicates = null;
  }
  function indentString(string, spaces) {
    const ind = common2.repeat(" ", spaces);
    let position = 0;
    let result = "";
    const length = string.length;
    while (position < length) {
      let line;
      const next = string.indexOf("\n", position);
      if (next === -1) {
        line = string.slice(position);
        position = length;
      } else {
        line = string.slice(position, next + 1);
        position = next + 1;
      }
      if (line.length && line !== "\n") result += ind;
      result += line;
    }
    return result;
  }
  function generateNextLine(state, level) {
    return "\n" + common2.repeat(" ", state.indent * level);
  }
  function testImplicitResolving(state, str2) {
    for (let index = 0, length = state.implicitTypes.length; index < length; index += 1) {
      const type2 = state.implicitTypes[index];
      if (type2.resolve(str2)) {
        return true;
      }
    }
    return false;
  }
  function isWhitespace(c) {
    return c === CHAR_SPACE || c === CHAR_TAB;
  }
  function isPrintable(c) {
    return c >= 32 && c <= 126 || c >= 161 && c <= 55295 && c !== 8232 && c !== 8233 || c >= 57344 && c <= 65533 && c !== CHAR_BOM || c >= 65536 && c <= 1114111;
  }
  function isNsCharOrWhitespace(c) {
    return isPrintable(c) && c !== CHAR_BOM && // - b-char
    c !== CHAR_CARRIAGE_RETURN && c !== CHAR_LINE_FEED;
  }
  function isPlainSafe(c, prev, inblock) {
    const cIsNsCharOrWhitespace = isNsCharOrWhitespace(c);
    const cIsNsChar = cIsNsCharOrWhitespace && !isWhitespace(c);
    return (
      // ns-plain-safe
      (inblock ? cIsNsCharOrWhitespace : cIsNsCharOrWhitespace && // - c-flow-indicator
      c !== CHAR_COMMA && c !== CHAR_LEFT_SQUARE_BRACKET && c !== CHAR_RIGHT_SQUARE_BRACKET && c !== CHAR_LEFT_CURLY_BRACKET && c !== CHAR_RIGHT_CURLY_BRACKET) && // ns-plain-char
      c !== CHAR_SHARP && // false on '#'
      !(prev === CHAR_COLON && !cIsNsChar) || // false on ': '
      isNsCharOrWhitespace(prev) && !isWhitespace(prev) && c === CHAR_SHARP || // change to true on '[^ ]#'
      prev === CHAR_COLON && cIsNsChar
    );
  }
  function isPlainSafeFirst(c) {
    return isPrintable(c) && c !== CHAR_BOM && !isWhitespace(c) && // - s-white
    // - (c-indicator ::=
    // “-” | “?” | “:” | “,” | “[” | “]” | “{” | “}”
    c !== CHAR_MINUS && c !== CHAR_QUESTION && c !== CHAR_COLON && c !== CHAR_COMMA && c !== CHAR_LEFT_SQUARE_BRACKET && c !== CHAR_RIGHT_SQUARE_BRACKET && c !== CHAR_LEFT_CURLY_BRACKET && c !== CHAR_RIGHT_CURLY_BRACKET && // | “#” | “&” | “*” | “!” | “|” | “=” | “>” | “'” | “"”
    c !== CHAR_SHARP && c !== CHAR_AMPERSAND && c !== CHAR_ASTERISK && c !== CHAR_EXCLAMATION && c !== CHAR_VERTICAL_LINE && c !== CHAR_EQUALS && c !== CHAR_GREATER_THAN && c !== CHAR_SINGLE_QUOTE && c !== CHAR_DOUBLE_QUOTE && // | “%” | “@” | “`”)
    c !== CHAR_PERCENT && c !== CHAR_COMMERCIAL_AT && c !== CHAR_GRAVE_ACCENT;
  }
  function isPlainSafeLast(c) {
    return !isWhitespace(c) && c !== CHAR_COLON;
  }
  function codePointAt(string, pos) {
    const first = string.charCodeAt(pos);
    let second;
    if (first >= 55296 && first <= 56319 && pos + 1 < string.length) {
      second = string.charCodeAt(pos + 1);
      if (second >= 56320 && second <= 57343) {
        return (first - 55296) * 1024 + second - 56320 + 65536;
      }
    }
    return first;
  }
  function needIndentIndicator(string) {
    const leadingSpaceRe = /^\n* /;
    return leadingSpaceRe.test(string);
  }
  const STYLE_PLAIN = 1;
  const STYLE_SINGLE = 2;
  const STYLE_LITERAL = 3;
  const STYLE_FOLDED = 4;
  const STYLE_DOUBLE = 5;
  function chooseScalarStyle(string, singleLineOnly, indentPerLevel, lineWidth, testAmbiguousType, quotingType, forceQuotes, inblock) {
    let i;
    let char = 0;
    let prevChar = null;
    let hasLineBreak = false;
    let hasFoldableLine = false;
    const shouldTrackWidth = lineWidth !== -1;
    let previousLineBreak = -1;
    let plain = isPlainSafeFirst(codePointAt(string, 0)) && isPlainSafeLast(codePointAt(string, string.length - 1));
    if (singleLineOnly || forceQuotes) {
      for (i = 0; i < string.length; char >= 65536 ? i += 2 : i++) {
        char = codePointAt(string, i);
        if (!isPrintable(char)) {
          return STYLE_DOUBLE;
        }
        plain = plain && isPlainSafe(char, prevChar, inblock);
        prevChar = char;
      }
    } else {
      for (i = 0; i < string.length; char >= 65536 ? i += 2 : i++) {
        char = codePointAt(string, i);
        if (char === CHAR_LINE_FEED) {
          hasLineBreak = true;
          if (shouldTrackWidth) {
            hasFoldableLine = hasFoldableLine || // Foldable line = too long, and not more-indented.
            i - previousLineBreak - 1 > lineWidth && string[previousLineBreak + 1] !== " ";
            previousLineBreak = i;
          }
        } else if (!isPrintable(char)) {
          return STYLE_DOUBLE;
        }
        plain = plain && isPlainSafe(char, prevChar, inblock);
        prevChar = char;
      }
      hasFoldableLine = hasFoldableLine || shouldTrackWidth && (i - previousLineBreak - 1 > lineWidth && string[previousLineBreak + 1] !== " ");
    }
    if (!hasLineBreak && !hasFoldableLine) {
      if (plain && !forceQuotes && !testAmbiguousType(string)) {
        return STYLE_PLAIN;
      }
      return quotingType === QUOTING_TYPE_DOUBLE ? STYLE_DOUBLE : STYLE_SINGLE;
    }
    if (indentPerLevel > 9 && needIndentIndicator(string)) {
      return STYLE_DOUBLE;
    }
    if (!forceQuotes) {
      return hasFoldableLine ? STYLE_FOLDED : STYLE_LITERAL;
    }
    return quotingType === QUOTING_TYPE_DOUBLE ? STYLE_DOUBLE : STYLE_SINGLE;
  }
  function writeScalar(state, string, level, iskey, inblock) {
    state.dump = (function() {
      if (string.length === 0) {
        return state.quotingType === QUOTING_TYPE_DOUBLE ? '""' : "''";
      }
      if (!state.noCompatMode) {
        if (DEPRECATED_BOOLEANS_SYNTAX.indexOf(string) !== -1 || DEPRECATED_BASE60_SYNTAX.test(string)) {
          return state.quotingType === QUOTING_TYPE_DOUBLE ? '"' + string + '"' : "'" + string + "'";
        }
      }
      const indent = state.indent * Math.max(1, level);
      const lineWidth = state.lineWidth === -1 ? -1 : Math.max(Math.min(state.lineWidth, 40), state.lineWidth - indent);
      const singleLineOnly = iskey || // No block styles in flow mode.
      state.flowLevel > -1 && level >= state.flowLevel;
      function testAmbiguity(string2) {
        return testImplicitResolving(state, string2);
      }
      switch (chooseScalarStyle(
        string,
        singleLineOnly,
        state.indent,
        lineWidth,
        testAmbiguity,
        state.quotingType,
        state.forceQuotes && !iskey,
        inblock
      )) {
        case STYLE_PLAIN:
          return string;
        case STYLE_SINGLE:
          return "'" + string.replace(/'/g, "''") + "'";
        case STYLE_LITERAL:
          return "|" + blockHeader(string, state.indent) + dropEndingNewline(indentString(string, indent));
        case STYLE_FOLDED:
          return ">" + blockHeader(string, state.indent) + dropEndingNewline(indentString(foldString(string, lineWidth), indent));
        case STYLE_DOUBLE:
          return '"' + escapeString(string) + '"';
        default:
          throw new YAMLException2("impossible error: invalid scalar style");
      }
    })();
  }
  function blockHeader(string, indentPerLevel) {
    const indentIndicator = needIndentIndicator(string) ? String(indentPerLevel) : "";
    const clip = string[string.length - 1] === "\n";
    const keep = clip && (string[string.length - 2] === "\n" || string === "\n");
    const chomp = keep ? "+" : clip ? "" : "-";
    return indentIndicator + chomp + "\n";
  }
  function dropEndingNewline(string) {
    return string[string.length - 1] === "\n" ? string.slice(0, -1) : string;
  }
  function foldString(string, width) {
    const lineRe = /(\n+)([^\n]*)/g;
    let result = (function() {
      let nextLF = string.indexOf("\n");
      nextLF = nextLF !== -1 ? nextLF : string.length;
      lineRe.lastIndex = nextLF;
      return foldLine(string.slice(0, nextLF), width);
    })();
    let prevMoreIndented = string[0] === "\n" || string[0] === " ";
    let moreIndented;
    let match;
    while (match = lineRe.exec(string)) {
      const prefix = match[1];
      const line = match[2];
      moreIndented = line[0] === " ";
      result += prefix + (!prevMoreIndented && !moreIndented && line !== "" ? "\n" : "") + foldLine(line, width);
      prevMoreIndented = moreIndented;
    }
    return result;
  }
  function foldLine(line, width) {
    if (line === "" || line[0] === " ") return line;
    const breakRe = / [^ ]/g;
    let match;
    let start = 0;
    let end;
    let curr = 0;
    let next = 0;
    let result = "";
    while (match = breakRe.exec(line)) {
      next = match.index;
      if (next - start > width) {
        end = curr > start ? curr : next;
        result += "\n" + line.slice(start, end);
        start = end + 1;
      }
      curr = next;
    }
    result += "\n";
    if (line.length - start > width && curr > start) {
      result += line.slice(start, curr) + "\n" + line.slice(curr + 1);
    } else {
      result += line.slice(start);
    }
    return result.slice(1);
  }
  function escapeString(string) {
    let result = "";
    let char = 0;
    for (let i = 0; i < string.length; char >= 65536 ? i += 2 : i++) {
      char = codePointAt(string, i);
      const escapeSeq = ESCAPE_SEQUENCES[char];
      if (!escapeSeq && isPrintable(char)) {
        result += string[i];
        if (char >= 65536) result += string[i + 1];
      } else {
        result += escapeSeq || encodeHex(char);
      }
    }
    return result;
  }
  function writeFlowSequence(state, level, object) {
    let _result = "";
    const _tag = state.tag;
    for (let index = 0, length = object.length; index < length; index += 1) {
      let value = object[index];
      if (state.replacer) {
        value = state.replacer.call(object, String(index), value);
      }
      if (writeNode(state, level, value, false, false) || typeof value === "undefined" && writeNode(state, level, null, false, false)) {
        if (_result !== "") _result += "," + (!state.condenseFlow ? " " : "");
        _result += state.dump;
      }
    }
    state.tag = _tag;
    state.dump = "[" + _result + "]";
  }
  function writeBlockSequence(state, level, object, compact) {
    let _result = "";
    const _tag = state.tag;
    for (let index = 0, length = object.length; index < length; index += 1) {
      let value = object[index];
      if (state.replacer) {
        value = state.replacer.call(object, String(index), value);
      }
      if (writeNode(state, level + 1, value, true, true, false, true) || typeof value === "undefined" && writeNode(state, level + 1, null, true, true, false, true)) {
        if (!compact || _result !== "") {
          _result += generateNextLine(state, level);
        }
        if (state.dump && CHAR_LINE_FEED === state.dump.charCodeAt(0)) {
          _result += "-";
        } else {
          _result += "- ";
        }
        _result += state.dump;
      }
    }
    state.tag = _tag;
    state.dump = _result || "[]";
  }
  function writeFlowMapping(state, level, object) {
    let _result = "";
    const _tag = state.tag;
    const objectKeyList = Object.keys(object);
    for (let index = 0, length = objectKeyList.length; index < length; index += 1) {
      let pairBuffer = "";
      if (_result !== "") pairBuffer += ", ";
      if (state.condenseFlow) pairBuffer += '"';
      const objectKey = objectKeyList[index];
      let objectValue = object[objectKey];
      if (state.replacer) {
        objectValue = state.replacer.call(object, objectKey, objectValue);
      }
      if (!writeNode(state, level, objectKey, false, false)) {
        continue;
      }
      if (state.dump.length > 1024) pairBuffer += "? ";
      pairBuffer += state.dump + (state.condenseFlow ? '"' : "") + ":" + (state.condenseFlow ? "" : " ");
      if (!writeNode(state, level, objectValue, false, false)) {
        continue;
      }
      pairBuffer += state.dump;
      _result += pairBuffer;
    }
    state.tag = _tag;
    state.dump = "{" + _result + "}";
  }
  function writeBlockMapping(state, level, object, compact) {
    let _result = "";
    const _tag = state.tag;
    const objectKeyList = Object.keys(object);
    if (state.sortKeys === true) {
      objectKeyList.sort();
    } else if (typeof state.sortKeys === "function") {
      objectKeyList.sort(state.sortKeys);
    } else if (state.sortKeys) {
      throw new YAMLException2("sortKeys must be a boolean or a function");
    }
    for (let index = 0, length = objectKeyList.length; index < length; index += 1) {
      let pairBuffer = "";
      if (!compact || _result !== "") {
        pairBuffer += generateNextLine(state, level);
      }
      const objectKey = objectKeyList[index];
      let objectValue = object[objectKey];
      if (state.replacer) {
        objectValue = state.replacer.call(object, objectKey, objectValue);
      }
      if (!writeNode(state, level + 1, objectKey, true, true, true)) {
        continue;
      }
      const explicitPair = state.tag !== null && state.tag !== "?" || state.dump && state.dump.length > 1024;
      if (explicitPair) {
        if (state.dump && CHAR_LINE_FEED === state.dump.charCodeAt(0)) {
          pairBuffer += "?";
        } else {
          pairBuffer += "? ";
        }
      }
      pairBuffer += state.dump;
      if (explicitPair) {
        pairBuffer += generateNextLine(state, level);
      }
      if (!writeNode(state, level + 1, objectValue, true, explicitPair)) {
        continue;
      }
      if (state.dump && CHAR_LINE_FEED === state.dump.charCodeAt(0)) {
        pairBuffer += ":";
      } else {
        pairBuffer += ": ";
      }
      pairBuffer += state.dump;
      _result += pairBuffer;
    }
    state.tag = _tag;
    state.dump = _result || "{}";
  }
  function detectType(state, object, explicit) {
    const typeList = explicit ? state.explicitTypes : state.implicitTypes;
    for (let index = 0, length = typeList.length; index < length; index += 1) {
      const type2 = typeList[index];
      if ((type2.instanceOf || type2.predicate) && (!type2.instanceOf || typeof object === "object" && object instanceof type2.instanceOf) && (!type2.predicate || type2.predicate(object))) {
        if (explicit) {
          if (type2.multi && type2.representName) {
            state.tag = type2.representName(object);
          } else {
            state.tag = type2.tag;
          }
        } else {
          state.tag = "?";
        }
        if (type2.represent) {
          const style = state.styleMap[type2.tag] || type2.defaultStyle;
          let _result;
          if (_toString.call(type2.represent) === "[object Function]") {
            _result = type2.represent(object, style);
          } else if (_hasOwnProperty.call(type2.represent, style)) {
            _result = type2.represent[style](object, style);
          } else {
            throw new YAMLException2("!<" + type2.tag + '> tag resolver accepts not "' + style + '" style');
          }
          state.dump = _result;
        }
        return true;
      }
    }
    return false;
  }
  function writeNode(state, level, object, block, compact, iskey, isblockseq) {
    state.tag = null;
    state.dump = object;
    if (!detectType(state, object, false)) {
      detectType(state, object, true);
    }
    const type2 = _toString.call(state.dump);
    const inblock = block;
    if (block) {
      block = state.flowLevel < 0 || state.flowLevel > level;
    }
    const objectOrArray = type2 === "[object Object]" || type2 === "[object Array]";
    let duplicateIndex;
    let duplicate;
    if (objectOrArray) {
      duplicateIndex = state.duplicates.indexOf(object);
      duplicate = duplicateIndex !== -1;
    }
    if (state.tag !== null && state.tag !== "?" || duplicate || state.indent !== 2 && level > 0) {
      compact = false;
    }
    if (duplicate && state.usedDuplicates[duplicateIndex]) {
      state.dump = "*ref_" + duplicateIndex;
    } else {
      if (objectOrArray && duplicate && !state.usedDuplicates[duplicateIndex]) {
        state.usedDuplicates[duplicateIndex] = true;
      }
      if (type2 === "[object Object]") {
        if (block && Object.keys(state.dump).length !== 0) {
          writeBlockMapping(state, level, state.dump, compact);
          if (duplicate) {
            state.dump = "&ref_" + duplicateIndex + state.dump;
          }
        } else {
          writeFlowMapping(state, level, state.dump);
          if (duplicate) {
            state.dump = "&ref_" + duplicateIndex + " " + state.dump;
          }
        }
      } else if (type2 === "[object Array]") {
        if (block && state.dump.length !== 0) {
          if (state.noArrayIndent && !isblockseq && level > 0) {
            writeBlockSequence(state, level - 1, state.dump, compact);
          } else {
            writeBlockSequence(state, level, state.dump, compact);
          }
          if (duplicate) {
            state.dump = "&ref_" + duplicateIndex + state.dump;
          }
        } else {
          writeFlowSequence(state, level, state.dump);
          if (duplicate) {
            state.dump = "&ref_" + duplicateIndex + " " + state.dump;
          }
        }
      } else if (type2 === "[object String]") {
        if (state.tag !== "?") {
          writeScalar(state, state.dump, level, iskey, inblock);
        }
      } else if (type2 === "[object Undefined]") {
        return false;
      } else {
        if (state.skipInvalid) return false;
        throw new YAMLException2("unacceptable kind of an object to dump " + type2);
      }
      if (state.tag !== null && state.tag !== "?") {
        let tagStr = encodeURI(
          state.tag[0] === "!" ? state.tag.slice(1) : state.tag
        ).replace(/!/g, "%21");
        if (state.tag[0] === "!") {
          tagStr = "!" + tagStr;
        } else if (tagStr.slice(0, 18) === "tag:yaml.org,2002:") {
          tagStr = "!!" + tagStr.slice(18);
        } else {
          tagStr = "!<" + tagStr + ">";
        }
        state.dump = tagStr + " " + state.dump;
      }
    }
    return true;
  }
  function getDuplicateReferences(object, state) {
    const objects = [];
    const duplicatesIndexes = [];
    inspectNode(object, objects, duplicatesIndexes);
    const length = duplicatesIndexes.length;
    for (let index = 0; index < length; index += 1) {
      state.duplicates.push(objects[duplicatesIndexes[index]]);
    }
    state.usedDuplicates = new Array(length);
  }
  function inspectNode(object, objects, duplicatesIndexes) {
    if (object !== null && typeof object === "object") {
      const index = objects.indexOf(object);
      if (index !== -1) {
        if (duplicatesIndexes.indexOf(index) === -1) {
          duplicatesIndexes.push(index);
        }
      } else {
        objects.push(object);
        if (Array.isArray(object)) {
          for (let i = 0, length = object.length; i < length; i += 1) {
            inspectNode(object[i], objects, duplicatesIndexes);
          }
        } else {
          const objectKeyList = Object.keys(object);
          for (let i = 0, length = objectKeyList.length; i < length; i += 1) {
            inspectNode(object[objectKeyList[i]], objects, duplicatesIndexes);
          }
        }
      }
    }
  }
  function dump2(input, options) {
    options = options || {};
    const state = new State(options);
    if (!state.noRefs) getDuplicateReferences(input, state);
    let value = input;
    if (state.replacer) {
      value = state.replacer.call({ "": value }, "", value);
    }
    if (writeNode(state, 0, value, true, true)) return state.dump + "\n";
    return "";
  }
  dumper.dump = dump2;
  return dumper;
}
var hasRequiredJsYaml;
function requireJsYaml() {
  if (hasRequiredJsYaml) return jsYaml;
  hasRequiredJsYaml = 1;
  const loader2 = requireLoader();
  const dumper2 = requireDumper();
  function renamed(from, to) {
    return function() {
      throw new Error("Function yaml." + from + " is removed in js-yaml 4. Use yaml." + to + " instead, which is now safe by default.");
    };
  }
  jsYaml.Type = requireType();
  jsYaml.Schema = requireSchema();
  jsYaml.FAILSAFE_SCHEMA = requireFailsafe();
  jsYaml.JSON_SCHEMA = requireJson();
  jsYaml.CORE_SCHEMA = requireCore();
  jsYaml.DEFAULT_SCHEMA = require_default();
  jsYaml.load = loader2.load;
  jsYaml.loadAll = loader2.loadAll;
  jsYaml.dump = dumper2.dump;
  jsYaml.YAMLException = requireException();
  jsYaml.types = {
    binary: requireBinary(),
    float: requireFloat(),
    map: requireMap(),
    null: require_null(),
    pairs: requirePairs(),
    set: requireSet(),
    timestamp: requireTimestamp(),
    bool: requireBool(),
    int: requireInt(),
    merge: requireMerge(),
    omap: requireOmap(),
    seq: requireSeq(),
    str: requireStr()
  };
  jsYaml.safeLoad = renamed("safeLoad", "load");
  jsYaml.safeLoadAll = renamed("safeLoadAll", "loadAll");
  jsYaml.safeDump = renamed("safeDump", "dump");
  return jsYaml;
}
var jsYamlExports = requireJsYaml();
const yaml = /* @__PURE__ */ getDefaultExportFromCjs$1(jsYamlExports);
const {
  Type,
  Schema,
  FAILSAFE_SCHEMA,
  JSON_SCHEMA,
  CORE_SCHEMA,
  DEFAULT_SCHEMA,
  load,
  loadAll,
  dump,
  YAMLException,
  types,
  safeLoad,
  safeLoadAll,
  safeDump
} = yaml;

function getDefaultExportFromCjs (x) {
	return x && x.__esModule && Object.prototype.hasOwnProperty.call(x, 'default') ? x['default'] : x;
}

var utils = {};

var constants;
var hasRequiredConstants;

function requireConstants () {
	if (hasRequiredConstants) return constants;
	hasRequiredConstants = 1;

	const WIN_SLASH = '\\\\/';
	const WIN_NO_SLASH = `[^${WIN_SLASH}]`;

	const DEFAULT_MAX_EXTGLOB_RECURSION = 0;

	/**
	 * Posix glob regex
	 */

	const DOT_LITERAL = '\\.';
	const PLUS_LITERAL = '\\+';
	const QMARK_LITERAL = '\\?';
	const SLASH_LITERAL = '\\/';
	const ONE_CHAR = '(?=.)';
	const QMARK = '[^/]';
	const END_ANCHOR = `(?:${SLASH_LITERAL}|$)`;
	const START_ANCHOR = `(?:^|${SLASH_LITERAL})`;
	const DOTS_SLASH = `${DOT_LITERAL}{1,2}${END_ANCHOR}`;
	const NO_DOT = `(?!${DOT_LITERAL})`;
	const NO_DOTS = `(?!${START_ANCHOR}${DOTS_SLASH})`;
	const NO_DOT_SLASH = `(?!${DOT_LITERAL}{0,1}${END_ANCHOR})`;
	const NO_DOTS_SLASH = `(?!${DOTS_SLASH})`;
	const QMARK_NO_DOT = `[^.${SLASH_LITERAL}]`;
	const STAR = `${QMARK}*?`;
	const SEP = '/';

	const POSIX_CHARS = {
	  DOT_LITERAL,
	  PLUS_LITERAL,
	  QMARK_LITERAL,
	  SLASH_LITERAL,
	  ONE_CHAR,
	  QMARK,
	  END_ANCHOR,
	  DOTS_SLASH,
	  NO_DOT,
	  NO_DOTS,
	  NO_DOT_SLASH,
	  NO_DOTS_SLASH,
	  QMARK_NO_DOT,
	  STAR,
	  START_ANCHOR,
	  SEP
	};

	/**
	 * Windows glob regex
	 */

	const WINDOWS_CHARS = {
	  ...POSIX_CHARS,

	  SLASH_LITERAL: `[${WIN_SLASH}]`,
	  QMARK: WIN_NO_SLASH,
	  STAR: `${WIN_NO_SLASH}*?`,
	  DOTS_SLASH: `${DOT_LITERAL}{1,2}(?:[${WIN_SLASH}]|$)`,
	  NO_DOT: `(?!${DOT_LITERAL})`,
	  NO_DOTS: `(?!(?:^|[${WIN_SLASH}])${DOT_LITERAL}{1,2}(?:[${WIN_SLASH}]|$))`,
	  NO_DOT_SLASH: `(?!${DOT_LITERAL}{0,1}(?:[${WIN_SLASH}]|$))`,
	  NO_DOTS_SLASH: `(?!${DOT_LITERAL}{1,2}(?:[${WIN_SLASH}]|$))`,
	  QMARK_NO_DOT: `[^.${WIN_SLASH}]`,
	  START_ANCHOR: `(?:^|[${WIN_SLASH}])`,
	  END_ANCHOR: `(?:[${WIN_SLASH}]|$)`,
	  SEP: '\\'
	};

	/**
	 * POSIX Bracket Regex
	 */

	const POSIX_REGEX_SOURCE = {
	  __proto__: null,
	  alnum: 'a-zA-Z0-9',
	  alpha: 'a-zA-Z',
	  ascii: '\\x00-\\x7F',
	  blank: ' \\t',
	  cntrl: '\\x00-\\x1F\\x7F',
	  digit: '0-9',
	  graph: '\\x21-\\x7E',
	  lower: 'a-z',
	  print: '\\x20-\\x7E ',
	  punct: '\\-!"#$%&\'()\\*+,./:;<=>?@[\\]^_`{|}~',
	  space: ' \\t\\r\\n\\v\\f',
	  upper: 'A-Z',
	  word: 'A-Za-z0-9_',
	  xdigit: 'A-Fa-f0-9'
	};

	constants = {
	  DEFAULT_MAX_EXTGLOB_RECURSION,
	  MAX_LENGTH: 1024 * 64,
	  POSIX_REGEX_SOURCE,

	  // regular expressions
	  REGEX_BACKSLASH: /\\(?![*+?^${}(|)[\]])/g,
	  REGEX_NON_SPECIAL_CHARS: /^[^@![\].,$*+?^{}()|\\/]+/,
	  REGEX_SPECIAL_CHARS: /[-*+?.^${}(|)[\]]/,
	  REGEX_SPECIAL_CHARS_BACKREF: /(\\?)((\W)(\3*))/g,
	  REGEX_SPECIAL_CHARS_GLOBAL: /([-*+?.^${}(|)[\]])/g,
	  REGEX_REMOVE_BACKSLASH: /(?:\[.*?[^\\]\]|\\(?=.))/g,

	  // Replace globs with equivalent patterns to reduce parsing time.
	  REPLACEMENTS: {
	    __proto__: null,
	    '***': '*',
	    '**/**': '**',
	    '**/**/**': '**'
	  },

	  // Digits
	  CHAR_0: 48, /* 0 */
	  CHAR_9: 57, /* 9 */

	  // Alphabet chars.
	  CHAR_UPPERCASE_A: 65, /* A */
	  CHAR_LOWERCASE_A: 97, /* a */
	  CHAR_UPPERCASE_Z: 90, /* Z */
	  CHAR_LOWERCASE_Z: 122, /* z */

	  CHAR_LEFT_PARENTHESES: 40, /* ( */
	  CHAR_RIGHT_PARENTHESES: 41, /* ) */

	  CHAR_ASTERISK: 42, /* * */

	  // Non-alphabetic chars.
	  CHAR_AMPERSAND: 38, /* & */
	  CHAR_AT: 64, /* @ */
	  CHAR_BACKWARD_SLASH: 92, /* \ */
	  CHAR_CARRIAGE_RETURN: 13, /* \r */
	  CHAR_CIRCUMFLEX_ACCENT: 94, /* ^ */
	  CHAR_COLON: 58, /* : */
	  CHAR_COMMA: 44, /* , */
	  CHAR_DOT: 46, /* . */
	  CHAR_DOUBLE_QUOTE: 34, /* " */
	  CHAR_EQUAL: 61, /* = */
	  CHAR_EXCLAMATION_MARK: 33, /* ! */
	  CHAR_FORM_FEED: 12, /* \f */
	  CHAR_FORWARD_SLASH: 47, /* / */
	  CHAR_GRAVE_ACCENT: 96, /* ` */
	  CHAR_HASH: 35, /* # */
	  CHAR_HYPHEN_MINUS: 45, /* - */
	  CHAR_LEFT_ANGLE_BRACKET: 60, /* < */
	  CHAR_LEFT_CURLY_BRACE: 123, /* { */
	  CHAR_LEFT_SQUARE_BRACKET: 91, /* [ */
	  CHAR_LINE_FEED: 10, /* \n */
	  CHAR_NO_BREAK_SPACE: 160, /* \u00A0 */
	  CHAR_PERCENT: 37, /* % */
	  CHAR_PLUS: 43, /* + */
	  CHAR_QUESTION_MARK: 63, /* ? */
	  CHAR_RIGHT_ANGLE_BRACKET: 62, /* > */
	  CHAR_RIGHT_CURLY_BRACE: 125, /* } */
	  CHAR_RIGHT_SQUARE_BRACKET: 93, /* ] */
	  CHAR_SEMICOLON: 59, /* ; */
	  CHAR_SINGLE_QUOTE: 39, /* ' */
	  CHAR_SPACE: 32, /*   */
	  CHAR_TAB: 9, /* \t */
	  CHAR_UNDERSCORE: 95, /* _ */
	  CHAR_VERTICAL_LINE: 124, /* | */
	  CHAR_ZERO_WIDTH_NOBREAK_SPACE: 65279, /* \uFEFF */

	  /**
	   * Create EXTGLOB_CHARS
	   */

	  extglobChars(chars) {
	    return {
	      '!': { type: 'negate', open: '(?:(?!(?:', close: `))${chars.STAR})` },
	      '?': { type: 'qmark', open: '(?:', close: ')?' },
	      '+': { type: 'plus', open: '(?:', close: ')+' },
	      '*': { type: 'star', open: '(?:', close: ')*' },
	      '@': { type: 'at', open: '(?:', close: ')' }
	    };
	  },

	  /**
	   * Create GLOB_CHARS
	   */

	  globChars(win32) {
	    return win32 === true ? WINDOWS_CHARS : POSIX_CHARS;
	  }
	};
	return constants;
}

/*global navigator*/

var hasRequiredUtils;

function requireUtils () {
	if (hasRequiredUtils) return utils;
	hasRequiredUtils = 1;
	(function (exports) {

		const {
		  REGEX_BACKSLASH,
		  REGEX_REMOVE_BACKSLASH,
		  REGEX_SPECIAL_CHARS,
		  REGEX_SPECIAL_CHARS_GLOBAL
		} = /*@__PURE__*/ requireConstants();

		exports.isObject = val => val !== null && typeof val === 'object' && !Array.isArray(val);
		exports.hasRegexChars = str => REGEX_SPECIAL_CHARS.test(str);
		exports.isRegexChar = str => str.length === 1 && exports.hasRegexChars(str);
		exports.escapeRegex = str => str.replace(REGEX_SPECIAL_CHARS_GLOBAL, '\\$1');
		exports.toPosixSlashes = str => str.replace(REGEX_BACKSLASH, '/');

		exports.isWindows = () => {
		  if (typeof navigator !== 'undefined' && navigator.platform) {
		    const platform = navigator.platform.toLowerCase();
		    return platform === 'win32' || platform === 'windows';
		  }

		  if (typeof process !== 'undefined' && process.platform) {
		    return process.platform === 'win32';
		  }

		  return false;
		};

		exports.removeBackslashes = str => {
		  return str.replace(REGEX_REMOVE_BACKSLASH, match => {
		    return match === '\\' ? '' : match;
		  });
		};

		exports.escapeLast = (input, char, lastIdx) => {
		  const idx = input.lastIndexOf(char, lastIdx);
		  if (idx === -1) return input;
		  if (input[idx - 1] === '\\') return exports.escapeLast(input, char, idx - 1);
		  return `${input.slice(0, idx)}\\${input.slice(idx)}`;
		};

		exports.removePrefix = (input, state = {}) => {
		  let output = input;
		  if (output.startsWith('./')) {
		    output = output.slice(2);
		    state.prefix = './';
		  }
		  return output;
		};

		exports.wrapOutput = (input, state = {}, options = {}) => {
		  const prepend = options.contains ? '' : '^';
		  const append = options.contains ? '' : '$';

		  let output = `${prepend}(?:${input})${append}`;
		  if (state.negated === true) {
		    output = `(?:^(?!${output}).*$)`;
		  }
		  return output;
		};

		exports.basename = (path, { windows } = {}) => {
		  const segs = path.split(windows ? /[\\/]/ : '/');
		  const last = segs[segs.length - 1];

		  if (last === '') {
		    return segs[segs.length - 2];
		  }

		  return last;
		}; 
	} (utils));
	return utils;
}

var scan_1;
var hasRequiredScan;

function requireScan () {
	if (hasRequiredScan) return scan_1;
	hasRequiredScan = 1;

	const utils = /*@__PURE__*/ requireUtils();
	const {
	  CHAR_ASTERISK,             /* * */
	  CHAR_AT,                   /* @ */
	  CHAR_BACKWARD_SLASH,       /* \ */
	  CHAR_COMMA,                /* , */
	  CHAR_DOT,                  /* . */
	  CHAR_EXCLAMATION_MARK,     /* ! */
	  CHAR_FORWARD_SLASH,        /* / */
	  CHAR_LEFT_CURLY_BRACE,     /* { */
	  CHAR_LEFT_PARENTHESES,     /* ( */
	  CHAR_LEFT_SQUARE_BRACKET,  /* [ */
	  CHAR_PLUS,                 /* + */
	  CHAR_QUESTION_MARK,        /* ? */
	  CHAR_RIGHT_CURLY_BRACE,    /* } */
	  CHAR_RIGHT_PARENTHESES,    /* ) */
	  CHAR_RIGHT_SQUARE_BRACKET  /* ] */
	} = /*@__PURE__*/ requireConstants();

	const isPathSeparator = code => {
	  return code === CHAR_FORWARD_SLASH || code === CHAR_BACKWARD_SLASH;
	};

	const depth = token => {
	  if (token.isPrefix !== true) {
	    token.depth = token.isGlobstar ? Infinity : 1;
	  }
	};

	/**
	 * Quickly scans a glob pattern and returns an object with a handful of
	 * useful properties, like `isGlob`, `path` (the leading non-glob, if it exists),
	 * `glob` (the actual pattern), `negated` (true if the path starts with `!` but not
	 * with `!(`) and `negatedExtglob` (true if the path starts with `!(`).
	 *
	 * ```js
	 * const pm = require('picomatch');
	 * console.log(pm.scan('foo/bar/*.js'));
	 * { isGlob: true, input: 'foo/bar/*.js', base: 'foo/bar', glob: '*.js' }
	 * ```
	 * @param {String} `str`
	 * @param {Object} `options`
	 * @return {Object} Returns an object with tokens and regex source string.
	 * @api public
	 */

	const scan = (input, options) => {
	  const opts = options || {};

	  const length = input.length - 1;
	  const scanToEnd = opts.parts === true || opts.tokens === true || opts.scanToEnd === true;
	  const slashes = [];
	  const tokens = [];
	  const parts = [];

	  let str = input;
	  let index = -1;
	  let start = 0;
	  let lastIndex = 0;
	  let isBrace = false;
	  let isBracket = false;
	  let isGlob = false;
	  let isExtglob = false;
	  let isGlobstar = false;
	  let braceEscaped = false;
	  let backslashes = false;
	  let negated = false;
	  let negatedExtglob = false;
	  let finished = false;
	  let braces = 0;
	  let prev;
	  let code;
	  let token = { value: '', depth: 0, isGlob: false };

	  const eos = () => index >= length;
	  const peek = () => str.charCodeAt(index + 1);
	  const advance = () => {
	    prev = code;
	    return str.charCodeAt(++index);
	  };

	  while (index < length) {
	    code = advance();
	    let next;

	    if (code === CHAR_BACKWARD_SLASH) {
	      backslashes = token.backslashes = true;
	      code = advance();

	      if (code === CHAR_LEFT_CURLY_BRACE) {
	        braceEscaped = true;
	      }
	      continue;
	    }

	    if (braceEscaped === true || code === CHAR_LEFT_CURLY_BRACE) {
	      braces++;

	      while (eos() !== true && (code = advance())) {
	        if (code === CHAR_BACKWARD_SLASH) {
	          backslashes = token.backslashes = true;
	          advance();
	          continue;
	        }

	        if (code === CHAR_LEFT_CURLY_BRACE) {
	          braces++;
	          continue;
	        }

	        if (braceEscaped !== true && code === CHAR_DOT && (code = advance()) === CHAR_DOT) {
	          isBrace = token.isBrace = true;
	          isGlob = token.isGlob = true;
	          finished = true;

	          if (scanToEnd === true) {
	            continue;
	          }

	          break;
	        }

	        if (braceEscaped !== true && code === CHAR_COMMA) {
	          isBrace = token.isBrace = true;
	          isGlob = token.isGlob = true;
	          finished = true;

	          if (scanToEnd === true) {
	            continue;
	          }

	          break;
	        }

	        if (code === CHAR_RIGHT_CURLY_BRACE) {
	          braces--;

	          if (braces === 0) {
	            braceEscaped = false;
	            isBrace = token.isBrace = true;
	            finished = true;
	            break;
	          }
	        }
	      }

	      if (scanToEnd === true) {
	        continue;
	      }

	      break;
	    }

	    if (code === CHAR_FORWARD_SLASH) {
	      slashes.push(index);
	      tokens.push(token);
	      token = { value: '', depth: 0, isGlob: false };

	      if (finished === true) continue;
	      if (prev === CHAR_DOT && index === (start + 1)) {
	        start += 2;
	        continue;
	      }

	      lastIndex = index + 1;
	      continue;
	    }

	    if (opts.noext !== true) {
	      const isExtglobChar = code === CHAR_PLUS
	        || code === CHAR_AT
	        || code === CHAR_ASTERISK
	        || code === CHAR_QUESTION_MARK
	        || code === CHAR_EXCLAMATION_MARK;

	      if (isExtglobChar === true && peek() === CHAR_LEFT_PARENTHESES) {
	        isGlob = token.isGlob = true;
	        isExtglob = token.isExtglob = true;
	        finished = true;
	        if (code === CHAR_EXCLAMATION_MARK && index === start) {
	          negatedExtglob = true;
	        }

	        if (scanToEnd === true) {
	          let parens = 0;

	          while (eos() !== true && (code = advance())) {
	            if (code === CHAR_BACKWARD_SLASH) {
	              backslashes = token.backslashes = true;
	              advance();
	              continue;
	            }

	            if (code === CHAR_LEFT_PARENTHESES) {
	              parens++;
	              continue;
	            }

	            if (code === CHAR_RIGHT_PARENTHESES && --parens === 0) {
	              finished = true;
	              break;
	            }
	          }
	          continue;
	        }
	        break;
	      }
	    }

	    if (code === CHAR_ASTERISK) {
	      if (prev === CHAR_ASTERISK) isGlobstar = token.isGlobstar = true;
	      isGlob = token.isGlob = true;
	      finished = true;

	      if (scanToEnd === true) {
	        continue;
	      }
	      break;
	    }

	    if (code === CHAR_QUESTION_MARK) {
	      isGlob = token.isGlob = true;
	      finished = true;

	      if (scanToEnd === true) {
	        continue;
	      }
	      break;
	    }

	    if (code === CHAR_LEFT_SQUARE_BRACKET) {
	      while (eos() !== true && (next = advance())) {
	        if (next === CHAR_BACKWARD_SLASH) {
	          backslashes = token.backslashes = true;
	          advance();
	          continue;
	        }

	        if (next === CHAR_RIGHT_SQUARE_BRACKET) {
	          isBracket = token.isBracket = true;
	          isGlob = token.isGlob = true;
	          finished = true;
	          break;
	        }
	      }

	      if (scanToEnd === true) {
	        continue;
	      }

	      break;
	    }

	    if (opts.nonegate !== true && code === CHAR_EXCLAMATION_MARK && index === start) {
	      negated = token.negated = true;
	      start++;
	      continue;
	    }

	    if (opts.noparen !== true && code === CHAR_LEFT_PARENTHESES) {
	      isGlob = token.isGlob = true;

	      if (scanToEnd === true) {
	        let parens = 1;

	        while (eos() !== true && (code = advance())) {
	          if (code === CHAR_BACKWARD_SLASH) {
	            backslashes = token.backslashes = true;
	            advance();
	            continue;
	          }

	          if (code === CHAR_LEFT_PARENTHESES) {
	            parens++;
	            continue;
	          }

	          if (code === CHAR_RIGHT_PARENTHESES && --parens === 0) {
	            finished = true;
	            break;
	          }
	        }
	        continue;
	      }
	      break;
	    }

	    if (isGlob === true) {
	      finished = true;

	      if (scanToEnd === true) {
	        continue;
	      }

	      break;
	    }
	  }

	  if (opts.noext === true) {
	    isExtglob = false;
	    isGlob = false;
	  }

	  let base = str;
	  let prefix = '';
	  let glob = '';

	  if (start > 0) {
	    prefix = str.slice(0, start);
	    str = str.slice(start);
	    lastIndex -= start;
	  }

	  if (base && isGlob === true && lastIndex > 0) {
	    base = str.slice(0, lastIndex);
	    glob = str.slice(lastIndex);
	  } else if (isGlob === true) {
	    base = '';
	    glob = str;
	  } else {
	    base = str;
	  }

	  if (base && base !== '' && base !== '/' && base !== str) {
	    if (isPathSeparator(base.charCodeAt(base.length - 1))) {
	      base = base.slice(0, -1);
	    }
	  }

	  if (opts.unescape === true) {
	    if (glob) glob = utils.removeBackslashes(glob);

	    if (base && backslashes === true) {
	      base = utils.removeBackslashes(base);
	    }
	  }

	  const state = {
	    prefix,
	    input,
	    start,
	    base,
	    glob,
	    isBrace,
	    isBracket,
	    isGlob,
	    isExtglob,
	    isGlobstar,
	    negated,
	    negatedExtglob
	  };

	  if (opts.tokens === true) {
	    state.maxDepth = 0;
	    if (!isPathSeparator(code)) {
	      tokens.push(token);
	    }
	    state.tokens = tokens;
	  }

	  if (opts.parts === true || opts.tokens === true) {
	    let prevIndex;

	    for (let idx = 0; idx < slashes.length; idx++) {
	      const n = prevIndex !== undefined ? prevIndex + 1 : start;
	      const i = slashes[idx];
	      const value = input.slice(n, i);
	      if (opts.tokens) {
	        if (idx === 0 && start !== 0) {
	          tokens[idx].isPrefix = true;
	          tokens[idx].value = prefix;
	        } else {
	          tokens[idx].value = value;
	        }
	        depth(tokens[idx]);
	        state.maxDepth += tokens[idx].depth;
	      }
	      if (i >= start) {
	        parts.push(value);
	        prevIndex = i;
	      }
	    }

	    const n = prevIndex !== undefined ? prevIndex + 1 : start;
	    const value = input.slice(n);
	    parts.push(value);

	    if (opts.tokens && prevIndex && prevIndex + 1 < input.length) {
	      tokens[tokens.length - 1].value = value;
	      depth(tokens[tokens.length - 1]);
	      state.maxDepth += tokens[tokens.length - 1].depth;
	    }

	    state.slashes = slashes;
	    state.parts = parts;
	  }

	  return state;
	};

	scan_1 = scan;
	return scan_1;
}

var parse_1;
var hasRequiredParse;

function requireParse () {
	if (hasRequiredParse) return parse_1;
	hasRequiredParse = 1;

	const constants = /*@__PURE__*/ requireConstants();
	const utils = /*@__PURE__*/ requireUtils();

	/**
	 * Constants
	 */

	const {
	  MAX_LENGTH,
	  POSIX_REGEX_SOURCE,
	  REGEX_NON_SPECIAL_CHARS,
	  REGEX_SPECIAL_CHARS_BACKREF,
	  REPLACEMENTS
	} = constants;

	/**
	 * Helpers
	 */

	const expandRange = (args, options) => {
	  if (typeof options.expandRange === 'function') {
	    return options.expandRange(...args, options);
	  }

	  args.sort();
	  const value = `[${args.join('-')}]`;

	  try {
	    /* eslint-disable-next-line no-new */
	    new RegExp(value);
	  } catch (ex) {
	    return args.map(v => utils.escapeRegex(v)).join('..');
	  }

	  return value;
	};

	/**
	 * Create the message for a syntax error
	 */

	const syntaxError = (type, char) => {
	  return `Missing ${type}: "${char}" - use "\\\\${char}" to match literal characters`;
	};

	const splitTopLevel = input => {
	  const parts = [];
	  let bracket = 0;
	  let paren = 0;
	  let quote = 0;
	  let value = '';
	  let escaped = false;

	  for (const ch of input) {
	    if (escaped === true) {
	      value += ch;
	      escaped = false;
	      continue;
	    }

	    if (ch === '\\') {
	      value += ch;
	      escaped = true;
	      continue;
	    }

	    if (ch === '"') {
	      quote = quote === 1 ? 0 : 1;
	      value += ch;
	      continue;
	    }

	    if (quote === 0) {
	      if (ch === '[') {
	        bracket++;
	      } else if (ch === ']' && bracket > 0) {
	        bracket--;
	      } else if (bracket === 0) {
	        if (ch === '(') {
	          paren++;
	        } else if (ch === ')' && paren > 0) {
	          paren--;
	        } else if (ch === '|' && paren === 0) {
	          parts.push(value);
	          value = '';
	          continue;
	        }
	      }
	    }

	    value += ch;
	  }

	  parts.push(value);
	  return parts;
	};

	const isPlainBranch = branch => {
	  let escaped = false;

	  for (const ch of branch) {
	    if (escaped === true) {
	      escaped = false;
	      continue;
	    }

	    if (ch === '\\') {
	      escaped = true;
	      continue;
	    }

	    if (/[?*+@!()[\]{}]/.test(ch)) {
	      return false;
	    }
	  }

	  return true;
	};

	const normalizeSimpleBranch = branch => {
	  let value = branch.trim();
	  let changed = true;

	  while (changed === true) {
	    changed = false;

	    if (/^@\([^\\()[\]{}|]+\)$/.test(value)) {
	      value = value.slice(2, -1);
	      changed = true;
	    }
	  }

	  if (!isPlainBranch(value)) {
	    return;
	  }

	  return value.replace(/\\(.)/g, '$1');
	};

	const hasRepeatedCharPrefixOverlap = branches => {
	  const values = branches.map(normalizeSimpleBranch).filter(Boolean);

	  for (let i = 0; i < values.length; i++) {
	    for (let j = i + 1; j < values.length; j++) {
	      const a = values[i];
	      const b = values[j];
	      const char = a[0];

	      if (!char || a !== char.repeat(a.length) || b !== char.repeat(b.length)) {
	        continue;
	      }

	      if (a === b || a.startsWith(b) || b.startsWith(a)) {
	        return true;
	      }
	    }
	  }

	  return false;
	};

	const parseRepeatedExtglob = (pattern, requireEnd = true) => {
	  if ((pattern[0] !== '+' && pattern[0] !== '*') || pattern[1] !== '(') {
	    return;
	  }

	  let bracket = 0;
	  let paren = 0;
	  let quote = 0;
	  let escaped = false;

	  for (let i = 1; i < pattern.length; i++) {
	    const ch = pattern[i];

	    if (escaped === true) {
	      escaped = false;
	      continue;
	    }

	    if (ch === '\\') {
	      escaped = true;
	      continue;
	    }

	    if (ch === '"') {
	      quote = quote === 1 ? 0 : 1;
	      continue;
	    }

	    if (quote === 1) {
	      continue;
	    }

	    if (ch === '[') {
	      bracket++;
	      continue;
	    }

	    if (ch === ']' && bracket > 0) {
	      bracket--;
	      continue;
	    }

	    if (bracket > 0) {
	      continue;
	    }

	    if (ch === '(') {
	      paren++;
	      continue;
	    }

	    if (ch === ')') {
	      paren--;

	      if (paren === 0) {
	        if (requireEnd === true && i !== pattern.length - 1) {
	          return;
	        }

	        return {
	          type: pattern[0],
	          body: pattern.slice(2, i),
	          end: i
	        };
	      }
	    }
	  }
	};

	const buildCharClassStar = chars => {
	  const source = chars.length === 1
	    ? utils.escapeRegex(chars[0])
	    : `[${chars.map(ch => utils.escapeRegex(ch)).join('')}]`;

	  return `${source}*`;
	};

	const getStarExtglobSequenceChars = pattern => {
	  let index = 0;
	  const chars = [];

	  while (index < pattern.length) {
	    const match = parseRepeatedExtglob(pattern.slice(index), false);

	    if (!match || match.type !== '*') {
	      return;
	    }

	    const branches = splitTopLevel(match.body).map(branch => branch.trim());
	    if (branches.length !== 1) {
	      return;
	    }

	    const branch = normalizeSimpleBranch(branches[0]);
	    if (!branch || branch.length !== 1) {
	      return;
	    }

	    chars.push(branch);
	    index += match.end + 1;
	  }

	  if (chars.length < 1) {
	    return;
	  }

	  return chars;
	};

	const repeatedExtglobRecursion = pattern => {
	  let depth = 0;
	  let value = pattern.trim();
	  let match = parseRepeatedExtglob(value);

	  while (match) {
	    depth++;
	    value = match.body.trim();
	    match = parseRepeatedExtglob(value);
	  }

	  return depth;
	};

	const analyzeRepeatedExtglob = (body, options) => {
	  if (options.maxExtglobRecursion === false) {
	    return { risky: false };
	  }

	  const max =
	    typeof options.maxExtglobRecursion === 'number'
	      ? options.maxExtglobRecursion
	      : constants.DEFAULT_MAX_EXTGLOB_RECURSION;

	  const branches = splitTopLevel(body).map(branch => branch.trim());

	  if (branches.length > 1) {
	    if (
	      branches.some(branch => branch === '') ||
	      branches.some(branch => /^[*?]+$/.test(branch)) ||
	      hasRepeatedCharPrefixOverlap(branches)
	    ) {
	      return { risky: true };
	    }
	  }

	  // A repeated extglob is "risky" (prone to catastrophic backtracking) when a
	  // branch is itself a `*(...)` sequence, since that nests an unbounded quantifier
	  // inside the outer `+(...)`/`*(...)`. When *every* branch reduces to single
	  // characters we can emit one flat, ReDoS-safe character class that preserves the
	  // meaning of ALL branches (e.g. `+(*(a)|*(b))` -> `[ab]*`), rather than dropping
	  // every branch but the first.
	  const safeChars = [];
	  let sawStarSequence = false;
	  let combinable = true;

	  for (const branch of branches) {
	    const chars = getStarExtglobSequenceChars(branch);
	    if (chars) {
	      sawStarSequence = true;
	      safeChars.push(...chars);
	      continue;
	    }

	    const literal = normalizeSimpleBranch(branch);
	    if (literal && literal.length === 1) {
	      safeChars.push(literal);
	      continue;
	    }

	    combinable = false;

	    if (repeatedExtglobRecursion(branch) > max) {
	      return { risky: true };
	    }
	  }

	  if (sawStarSequence) {
	    return combinable
	      ? { risky: true, safeOutput: buildCharClassStar([...new Set(safeChars)]) }
	      : { risky: true };
	  }

	  return { risky: false };
	};

	/**
	 * Parse the given input string.
	 * @param {String} input
	 * @param {Object} options
	 * @return {Object}
	 */

	const parse = (input, options) => {
	  if (typeof input !== 'string') {
	    throw new TypeError('Expected a string');
	  }

	  input = REPLACEMENTS[input] || input;

	  const opts = { ...options };
	  const max = typeof opts.maxLength === 'number' ? Math.min(MAX_LENGTH, opts.maxLength) : MAX_LENGTH;

	  let len = input.length;
	  if (len > max) {
	    throw new SyntaxError(`Input length: ${len}, exceeds maximum allowed length: ${max}`);
	  }

	  const bos = { type: 'bos', value: '', output: opts.prepend || '' };
	  const tokens = [bos];

	  const capture = opts.capture ? '' : '?:';

	  // create constants based on platform, for windows or posix
	  const PLATFORM_CHARS = constants.globChars(opts.windows);
	  const EXTGLOB_CHARS = constants.extglobChars(PLATFORM_CHARS);

	  const {
	    DOT_LITERAL,
	    PLUS_LITERAL,
	    SLASH_LITERAL,
	    ONE_CHAR,
	    DOTS_SLASH,
	    NO_DOT,
	    NO_DOT_SLASH,
	    NO_DOTS_SLASH,
	    QMARK,
	    QMARK_NO_DOT,
	    STAR,
	    START_ANCHOR
	  } = PLATFORM_CHARS;

	  const globstar = opts => {
	    return `(${capture}(?:(?!${START_ANCHOR}${opts.dot ? DOTS_SLASH : DOT_LITERAL}).)*?)`;
	  };

	  const nodot = opts.dot ? '' : NO_DOT;
	  const qmarkNoDot = opts.dot ? QMARK : QMARK_NO_DOT;
	  let star = opts.bash === true ? globstar(opts) : STAR;

	  if (opts.capture) {
	    star = `(${star})`;
	  }

	  // minimatch options support
	  if (typeof opts.noext === 'boolean') {
	    opts.noextglob = opts.noext;
	  }

	  const state = {
	    input,
	    index: -1,
	    start: 0,
	    dot: opts.dot === true,
	    consumed: '',
	    output: '',
	    prefix: '',
	    backtrack: false,
	    negated: false,
	    brackets: 0,
	    braces: 0,
	    parens: 0,
	    quotes: 0,
	    globstar: false,
	    tokens
	  };

	  input = utils.removePrefix(input, state);
	  len = input.length;

	  const extglobs = [];
	  const braces = [];
	  const stack = [];
	  let prev = bos;
	  let value;

	  /**
	   * Tokenizing helpers
	   */

	  const eos = () => state.index === len - 1;
	  const peek = state.peek = (n = 1) => input[state.index + n];
	  const advance = state.advance = () => input[++state.index] || '';
	  const remaining = () => input.slice(state.index + 1);
	  const consume = (value = '', num = 0) => {
	    state.consumed += value;
	    state.index += num;
	  };

	  const append = token => {
	    state.output += token.output != null ? token.output : token.value;
	    consume(token.value);
	  };

	  const negate = () => {
	    let count = 1;

	    while (peek() === '!' && (peek(2) !== '(' || peek(3) === '?')) {
	      advance();
	      state.start++;
	      count++;
	    }

	    if (count % 2 === 0) {
	      return false;
	    }

	    state.negated = true;
	    state.start++;
	    return true;
	  };

	  const increment = type => {
	    state[type]++;
	    stack.push(type);
	  };

	  const decrement = type => {
	    state[type]--;
	    stack.pop();
	  };

	  /**
	   * Push tokens onto the tokens array. This helper speeds up
	   * tokenizing by 1) helping us avoid backtracking as much as possible,
	   * and 2) helping us avoid creating extra tokens when consecutive
	   * characters are plain text. This improves performance and simplifies
	   * lookbehinds.
	   */

	  const push = tok => {
	    if (prev.type === 'globstar') {
	      const isBrace = state.braces > 0 && (tok.type === 'comma' || tok.type === 'brace');
	      const isExtglob = tok.extglob === true || (extglobs.length && (tok.type === 'pipe' || tok.type === 'paren'));

	      if (tok.type !== 'slash' && tok.type !== 'paren' && !isBrace && !isExtglob) {
	        state.output = state.output.slice(0, -prev.output.length);
	        prev.type = 'star';
	        prev.value = '*';
	        prev.output = star;
	        state.output += prev.output;
	      }
	    }

	    if (extglobs.length && tok.type !== 'paren') {
	      extglobs[extglobs.length - 1].inner += tok.value;
	    }

	    if (tok.value || tok.output) append(tok);
	    if (prev && prev.type === 'text' && tok.type === 'text') {
	      prev.output = (prev.output || prev.value) + tok.value;
	      prev.value += tok.value;
	      return;
	    }

	    tok.prev = prev;
	    tokens.push(tok);
	    prev = tok;
	  };

	  const extglobOpen = (type, value) => {
	    const token = { ...EXTGLOB_CHARS[value], conditions: 1, inner: '' };

	    token.prev = prev;
	    token.parens = state.parens;
	    token.output = state.output;
	    token.startIndex = state.index;
	    token.tokensIndex = tokens.length;
	    const output = (opts.capture ? '(' : '') + token.open;

	    increment('parens');
	    push({ type, value, output: state.output ? '' : ONE_CHAR });
	    push({ type: 'paren', extglob: true, value: advance(), output });
	    extglobs.push(token);
	  };

	  const extglobClose = token => {
	    const literal = input.slice(token.startIndex, state.index + 1);
	    const body = input.slice(token.startIndex + 2, state.index);
	    const analysis = analyzeRepeatedExtglob(body, opts);

	    if ((token.type === 'plus' || token.type === 'star') && analysis.risky) {
	      const safeOutput = analysis.safeOutput
	        ? (token.output ? '' : ONE_CHAR) + (opts.capture ? `(${analysis.safeOutput})` : analysis.safeOutput)
	        : undefined;
	      const open = tokens[token.tokensIndex];

	      open.type = 'text';
	      open.value = literal;
	      open.output = safeOutput || utils.escapeRegex(literal);

	      for (let i = token.tokensIndex + 1; i < tokens.length; i++) {
	        tokens[i].value = '';
	        tokens[i].output = '';
	        delete tokens[i].suffix;
	      }

	      state.output = token.output + open.output;
	      state.backtrack = true;

	      push({ type: 'paren', extglob: true, value, output: '' });
	      decrement('parens');
	      return;
	    }

	    let output = token.close + (opts.capture ? ')' : '');
	    let rest;

	    if (token.type === 'negate') {
	      let extglobStar = star;

	      if (token.inner && token.inner.length > 1 && token.inner.includes('/')) {
	        extglobStar = globstar(opts);
	      }

	      if (extglobStar !== star || eos() || /^\)+$/.test(remaining())) {
	        output = token.close = `)$))${extglobStar}`;
	      }

	      if (token.inner.includes('*') && (rest = remaining()) && /^\.[^\\/.]+$/.test(rest)) {
	        // Any non-magical string (`.ts`) or even nested expression (`.{ts,tsx}`) can follow after the closing parenthesis.
	        // In this case, we need to parse the string and use it in the output of the original pattern.
	        // Suitable patterns: `/!(*.d).ts`, `/!(*.d).{ts,tsx}`, `**/!(*-dbg).@(js)`.
	        //
	        // Disabling the `fastpaths` option due to a problem with parsing strings as `.ts` in the pattern like `**/!(*.d).ts`.
	        const expression = parse(rest, { ...options, fastpaths: false }).output;

	        output = token.close = `)${expression})${extglobStar})`;
	      }

	      if (token.prev.type === 'bos') {
	        state.negatedExtglob = true;
	      }
	    }

	    push({ type: 'paren', extglob: true, value, output });
	    decrement('parens');
	  };

	  /**
	   * Fast paths
	   */

	  if (opts.fastpaths !== false && !/(^[*!]|[/()[\]{}"])/.test(input)) {
	    let backslashes = false;

	    let output = input.replace(REGEX_SPECIAL_CHARS_BACKREF, (m, esc, chars, first, rest, index) => {
	      if (first === '\\') {
	        backslashes = true;
	        return m;
	      }

	      if (first === '?') {
	        if (esc) {
	          return esc + first + (rest ? QMARK.repeat(rest.length) : '');
	        }
	        if (index === 0) {
	          return qmarkNoDot + (rest ? QMARK.repeat(rest.length) : '');
	        }
	        return QMARK.repeat(chars.length);
	      }

	      if (first === '.') {
	        return DOT_LITERAL.repeat(chars.length);
	      }

	      if (first === '*') {
	        if (esc) {
	          return esc + first + (rest ? star : '');
	        }
	        return star;
	      }
	      return esc ? m : `\\${m}`;
	    });

	    if (backslashes === true) {
	      if (opts.unescape === true) {
	        output = output.replace(/\\/g, '');
	      } else {
	        output = output.replace(/\\+/g, m => {
	          return m.length % 2 === 0 ? '\\\\' : (m ? '\\' : '');
	        });
	      }
	    }

	    if (output === input && opts.contains === true) {
	      state.output = input;
	      return state;
	    }

	    state.output = utils.wrapOutput(output, state, options);
	    return state;
	  }

	  /**
	   * Tokenize input until we reach end-of-string
	   */

	  while (!eos()) {
	    value = advance();

	    if (value === '\u0000') {
	      continue;
	    }

	    /**
	     * Escaped characters
	     */

	    if (value === '\\') {
	      const next = peek();

	      if (next === '/' && opts.bash !== true) {
	        continue;
	      }

	      if (next === '.' || next === ';') {
	        continue;
	      }

	      if (!next) {
	        value += '\\';
	        push({ type: 'text', value });
	        continue;
	      }

	      // collapse slashes to reduce potential for exploits
	      const match = /^\\+/.exec(remaining());
	      let slashes = 0;

	      if (match && match[0].length > 2) {
	        slashes = match[0].length;
	        state.index += slashes;
	        if (slashes % 2 !== 0) {
	          value += '\\';
	        }
	      }

	      if (opts.unescape === true) {
	        value = advance();
	      } else {
	        value += advance();
	      }

	      if (state.brackets === 0) {
	        push({ type: 'text', value });
	        continue;
	      }
	    }

	    /**
	     * If we're inside a regex character class, continue
	     * until we reach the closing bracket.
	     */

	    if (state.brackets > 0 && (value !== ']' || prev.value === '[' || prev.value === '[^')) {
	      if (opts.posix !== false && value === ':') {
	        const inner = prev.value.slice(1);
	        if (inner.includes('[')) {
	          prev.posix = true;

	          if (inner.includes(':')) {
	            const idx = prev.value.lastIndexOf('[');
	            const pre = prev.value.slice(0, idx);
	            const rest = prev.value.slice(idx + 2);
	            const posix = POSIX_REGEX_SOURCE[rest];
	            if (posix) {
	              prev.value = pre + posix;
	              state.backtrack = true;
	              advance();

	              if (!bos.output && tokens.indexOf(prev) === 1) {
	                bos.output = ONE_CHAR;
	              }
	              continue;
	            }
	          }
	        }
	      }

	      if ((value === '[' && peek() !== ':') || (value === '-' && peek() === ']')) {
	        value = `\\${value}`;
	      }

	      if (value === ']' && (prev.value === '[' || prev.value === '[^')) {
	        value = `\\${value}`;
	      }

	      if (opts.posix === true && value === '!' && prev.value === '[') {
	        value = '^';
	      }

	      prev.value += value;
	      append({ value });
	      continue;
	    }

	    /**
	     * If we're inside a quoted string, continue
	     * until we reach the closing double quote.
	     */

	    if (state.quotes === 1 && value !== '"') {
	      value = utils.escapeRegex(value);
	      prev.value += value;
	      append({ value });
	      continue;
	    }

	    /**
	     * Double quotes
	     */

	    if (value === '"') {
	      state.quotes = state.quotes === 1 ? 0 : 1;
	      if (opts.keepQuotes === true) {
	        push({ type: 'text', value });
	      }
	      continue;
	    }

	    /**
	     * Parentheses
	     */

	    if (value === '(') {
	      increment('parens');
	      push({ type: 'paren', value });
	      continue;
	    }

	    if (value === ')') {
	      if (state.parens === 0 && opts.strictBrackets === true) {
	        throw new SyntaxError(syntaxError('opening', '('));
	      }

	      const extglob = extglobs[extglobs.length - 1];
	      if (extglob && state.parens === extglob.parens + 1) {
	        extglobClose(extglobs.pop());
	        continue;
	      }

	      push({ type: 'paren', value, output: state.parens ? ')' : '\\)' });
	      decrement('parens');
	      continue;
	    }

	    /**
	     * Square brackets
	     */

	    if (value === '[') {
	      if (opts.nobracket === true || !remaining().includes(']')) {
	        if (opts.nobracket !== true && opts.strictBrackets === true) {
	          throw new SyntaxError(syntaxError('closing', ']'));
	        }

	        value = `\\${value}`;
	      } else {
	        increment('brackets');
	      }

	      push({ type: 'bracket', value });
	      continue;
	    }

	    if (value === ']') {
	      if (opts.nobracket === true || (prev && prev.type === 'bracket' && prev.value.length === 1)) {
	        push({ type: 'text', value, output: `\\${value}` });
	        continue;
	      }

	      if (state.brackets === 0) {
	        if (opts.strictBrackets === true) {
	          throw new SyntaxError(syntaxError('opening', '['));
	        }

	        push({ type: 'text', value, output: `\\${value}` });
	        continue;
	      }

	      decrement('brackets');

	      const prevValue = prev.value.slice(1);
	      if (prev.posix !== true && prevValue[0] === '^' && !prevValue.includes('/')) {
	        value = `/${value}`;
	      }

	      prev.value += value;
	      append({ value });

	      // when literal brackets are explicitly disabled
	      // assume we should match with a regex character class
	      if (opts.literalBrackets === false || utils.hasRegexChars(prevValue)) {
	        continue;
	      }

	      const escaped = utils.escapeRegex(prev.value);
	      state.output = state.output.slice(0, -prev.value.length);

	      // when literal brackets are explicitly enabled
	      // assume we should escape the brackets to match literal characters
	      if (opts.literalBrackets === true) {
	        state.output += escaped;
	        prev.value = escaped;
	        continue;
	      }

	      // when the user specifies nothing, try to match both
	      prev.value = `(${capture}${escaped}|${prev.value})`;
	      state.output += prev.value;
	      continue;
	    }

	    /**
	     * Braces
	     */

	    if (value === '{' && opts.nobrace !== true) {
	      increment('braces');

	      const open = {
	        type: 'brace',
	        value,
	        output: '(',
	        outputIndex: state.output.length,
	        tokensIndex: state.tokens.length
	      };

	      braces.push(open);
	      push(open);
	      continue;
	    }

	    if (value === '}') {
	      const brace = braces[braces.length - 1];

	      if (opts.nobrace === true || !brace) {
	        push({ type: 'text', value, output: value });
	        continue;
	      }

	      let output = ')';

	      if (brace.dots === true) {
	        const arr = tokens.slice();
	        const range = [];

	        for (let i = arr.length - 1; i >= 0; i--) {
	          tokens.pop();
	          if (arr[i].type === 'brace') {
	            break;
	          }
	          if (arr[i].type !== 'dots') {
	            range.unshift(arr[i].value);
	          }
	        }

	        output = expandRange(range, opts);
	        state.backtrack = true;
	      }

	      if (brace.comma !== true && brace.dots !== true) {
	        const out = state.output.slice(0, brace.outputIndex);
	        const toks = state.tokens.slice(brace.tokensIndex);
	        brace.value = brace.output = '\\{';
	        value = output = '\\}';
	        state.output = out;
	        for (const t of toks) {
	          state.output += (t.output || t.value);
	        }
	      }

	      push({ type: 'brace', value, output });
	      decrement('braces');
	      braces.pop();
	      continue;
	    }

	    /**
	     * Pipes
	     */

	    if (value === '|') {
	      if (extglobs.length > 0) {
	        extglobs[extglobs.length - 1].conditions++;
	      }
	      push({ type: 'text', value });
	      continue;
	    }

	    /**
	     * Commas
	     */

	    if (value === ',') {
	      let output = value;

	      const brace = braces[braces.length - 1];
	      if (brace && stack[stack.length - 1] === 'braces') {
	        brace.comma = true;
	        output = '|';
	      }

	      push({ type: 'comma', value, output });
	      continue;
	    }

	    /**
	     * Slashes
	     */

	    if (value === '/') {
	      // if the beginning of the glob is "./", advance the start
	      // to the current index, and don't add the "./" characters
	      // to the state. This greatly simplifies lookbehinds when
	      // checking for BOS characters like "!" and "." (not "./")
	      if (prev.type === 'dot' && state.index === state.start + 1) {
	        state.start = state.index + 1;
	        state.consumed = '';
	        state.output = '';
	        tokens.pop();
	        prev = bos; // reset "prev" to the first token
	        continue;
	      }

	      push({ type: 'slash', value, output: SLASH_LITERAL });
	      continue;
	    }

	    /**
	     * Dots
	     */

	    if (value === '.') {
	      if (state.braces > 0 && prev.type === 'dot') {
	        if (prev.value === '.') prev.output = DOT_LITERAL;
	        const brace = braces[braces.length - 1];
	        prev.type = 'dots';
	        prev.output += value;
	        prev.value += value;
	        brace.dots = true;
	        continue;
	      }

	      if ((state.braces + state.parens) === 0 && prev.type !== 'bos' && prev.type !== 'slash') {
	        push({ type: 'text', value, output: DOT_LITERAL });
	        continue;
	      }

	      push({ type: 'dot', value, output: DOT_LITERAL });
	      continue;
	    }

	    /**
	     * Question marks
	     */

	    if (value === '?') {
	      const isGroup = prev && prev.value === '(';
	      if (!isGroup && opts.noextglob !== true && peek() === '(' && peek(2) !== '?') {
	        extglobOpen('qmark', value);
	        continue;
	      }

	      if (prev && prev.type === 'paren') {
	        const next = peek();
	        let output = value;

	        if ((prev.value === '(' && !/[!=<:]/.test(next)) || (next === '<' && !/<([!=]|\w+>)/.test(remaining()))) {
	          output = `\\${value}`;
	        }

	        push({ type: 'text', value, output });
	        continue;
	      }

	      if (opts.dot !== true && (prev.type === 'slash' || prev.type === 'bos')) {
	        push({ type: 'qmark', value, output: QMARK_NO_DOT });
	        continue;
	      }

	      push({ type: 'qmark', value, output: QMARK });
	      continue;
	    }

	    /**
	     * Exclamation
	     */

	    if (value === '!') {
	      if (opts.noextglob !== true && peek() === '(') {
	        if (peek(2) !== '?' || !/[!=<:]/.test(peek(3))) {
	          extglobOpen('negate', value);
	          continue;
	        }
	      }

	      if (opts.nonegate !== true && state.index === 0) {
	        negate();
	        continue;
	      }
	    }

	    /**
	     * Plus
	     */

	    if (value === '+') {
	      if (opts.noextglob !== true && peek() === '(' && peek(2) !== '?') {
	        extglobOpen('plus', value);
	        continue;
	      }

	      if ((prev && prev.value === '(') || opts.regex === false) {
	        push({ type: 'plus', value, output: PLUS_LITERAL });
	        continue;
	      }

	      if ((prev && (prev.type === 'bracket' || prev.type === 'paren' || prev.type === 'brace')) || state.parens > 0) {
	        push({ type: 'plus', value });
	        continue;
	      }

	      push({ type: 'plus', value: PLUS_LITERAL });
	      continue;
	    }

	    /**
	     * Plain text
	     */

	    if (value === '@') {
	      if (opts.noextglob !== true && peek() === '(' && peek(2) !== '?') {
	        push({ type: 'at', extglob: true, value, output: '' });
	        continue;
	      }

	      push({ type: 'text', value });
	      continue;
	    }

	    /**
	     * Plain text
	     */

	    if (value !== '*') {
	      if (value === '$' || value === '^') {
	        value = `\\${value}`;
	      }

	      const match = REGEX_NON_SPECIAL_CHARS.exec(remaining());
	      if (match) {
	        value += match[0];
	        state.index += match[0].length;
	      }

	      push({ type: 'text', value });
	      continue;
	    }

	    /**
	     * Stars
	     */

	    if (prev && (prev.type === 'globstar' || prev.star === true)) {
	      prev.type = 'star';
	      prev.star = true;
	      prev.value += value;
	      prev.output = star;
	      state.backtrack = true;
	      state.globstar = true;
	      consume(value);
	      continue;
	    }

	    let rest = remaining();
	    if (opts.noextglob !== true && /^\([^?]/.test(rest)) {
	      extglobOpen('star', value);
	      continue;
	    }

	    if (prev.type === 'star') {
	      if (opts.noglobstar === true) {
	        consume(value);
	        continue;
	      }

	      const prior = prev.prev;
	      const before = prior.prev;
	      const isStart = prior.type === 'slash' || prior.type === 'bos';
	      const afterStar = before && (before.type === 'star' || before.type === 'globstar');

	      if (opts.bash === true && (!isStart || (rest[0] && rest[0] !== '/'))) {
	        push({ type: 'star', value, output: '' });
	        continue;
	      }

	      const isBrace = state.braces > 0 && (prior.type === 'comma' || prior.type === 'brace');
	      const isExtglob = extglobs.length && (prior.type === 'pipe' || prior.type === 'paren');
	      if (!isStart && prior.type !== 'paren' && !isBrace && !isExtglob) {
	        push({ type: 'star', value, output: '' });
	        continue;
	      }

	      // strip consecutive `/**/`
	      while (rest.slice(0, 3) === '/**') {
	        const after = input[state.index + 4];
	        if (after && after !== '/') {
	          break;
	        }
	        rest = rest.slice(3);
	        consume('/**', 3);
	      }

	      // A globstar followed only by balanced closing parens is at the logical end of patterns like
	      // `test(/utils/**)` and `test?(/utils/**)`. Treat it as EOS so the trailing `/**` can match its
	      // parent path, except in negated extglobs where that would change the exclusion semantics.
	      const isEnd = eos() || (
	        state.parens > 0
	        && rest === ')'.repeat(state.parens)
	        && !extglobs.some(extglob => extglob.type === 'negate')
	      );

	      if (prior.type === 'bos' && eos()) {
	        prev.type = 'globstar';
	        prev.value += value;
	        prev.output = globstar(opts);
	        state.output = prev.output;
	        state.globstar = true;
	        consume(value);
	        continue;
	      }

	      if (prior.type === 'slash' && prior.prev.type !== 'bos' && !afterStar && isEnd) {
	        state.output = state.output.slice(0, -(prior.output + prev.output).length);
	        prior.output = `(?:${prior.output}`;

	        prev.type = 'globstar';
	        prev.output = globstar(opts) + (opts.strictSlashes ? ')' : '|$)');
	        prev.value += value;
	        state.globstar = true;
	        state.output += prior.output + prev.output;
	        consume(value);
	        continue;
	      }

	      if (prior.type === 'slash' && prior.prev.type !== 'bos' && rest[0] === '/') {
	        const end = rest[1] !== void 0 ? '|$' : '';

	        state.output = state.output.slice(0, -(prior.output + prev.output).length);
	        prior.output = `(?:${prior.output}`;

	        prev.type = 'globstar';
	        prev.output = `${globstar(opts)}${SLASH_LITERAL}|${SLASH_LITERAL}${end})`;
	        prev.value += value;

	        state.output += prior.output + prev.output;
	        state.globstar = true;

	        consume(value + advance());

	        push({ type: 'slash', value: '/', output: '' });
	        continue;
	      }

	      if (prior.type === 'bos' && rest[0] === '/') {
	        prev.type = 'globstar';
	        prev.value += value;
	        prev.output = `(?:^|${SLASH_LITERAL}|${globstar(opts)}${SLASH_LITERAL})`;
	        state.output = prev.output;
	        state.globstar = true;
	        consume(value + advance());
	        push({ type: 'slash', value: '/', output: '' });
	        continue;
	      }

	      // remove single star from output
	      state.output = state.output.slice(0, -prev.output.length);

	      // reset previous token to globstar
	      prev.type = 'globstar';
	      prev.output = globstar(opts);
	      prev.value += value;

	      // reset output with globstar
	      state.output += prev.output;
	      state.globstar = true;
	      consume(value);
	      continue;
	    }

	    const token = { type: 'star', value, output: star };

	    if (opts.bash === true) {
	      token.output = '.*?';
	      if (prev.type === 'bos' || prev.type === 'slash') {
	        token.output = nodot + token.output;
	      }
	      push(token);
	      continue;
	    }

	    if (prev && (prev.type === 'bracket' || prev.type === 'paren') && opts.regex === true) {
	      token.output = value;
	      push(token);
	      continue;
	    }

	    if (state.index === state.start || prev.type === 'slash' || prev.type === 'dot') {
	      if (prev.type === 'dot') {
	        state.output += NO_DOT_SLASH;
	        prev.output += NO_DOT_SLASH;

	      } else if (opts.dot === true) {
	        state.output += NO_DOTS_SLASH;
	        prev.output += NO_DOTS_SLASH;

	      } else {
	        state.output += nodot;
	        prev.output += nodot;
	      }

	      if (peek() !== '*') {
	        state.output += ONE_CHAR;
	        prev.output += ONE_CHAR;
	      }
	    }

	    push(token);
	  }

	  while (state.brackets > 0) {
	    if (opts.strictBrackets === true) throw new SyntaxError(syntaxError('closing', ']'));
	    state.output = utils.escapeLast(state.output, '[');
	    decrement('brackets');
	  }

	  while (state.parens > 0) {
	    if (opts.strictBrackets === true) throw new SyntaxError(syntaxError('closing', ')'));
	    state.output = utils.escapeLast(state.output, '(');
	    decrement('parens');
	  }

	  while (state.braces > 0) {
	    if (opts.strictBrackets === true) throw new SyntaxError(syntaxError('closing', '}'));
	    state.output = utils.escapeLast(state.output, '{');
	    decrement('braces');
	  }

	  if (opts.strictSlashes !== true && (prev.type === 'star' || prev.type === 'bracket')) {
	    push({ type: 'maybe_slash', value: '', output: `${SLASH_LITERAL}?` });
	  }

	  // rebuild the output if we had to backtrack at any point
	  if (state.backtrack === true) {
	    state.output = '';

	    for (const token of state.tokens) {
	      state.output += token.output != null ? token.output : token.value;

	      if (token.suffix) {
	        state.output += token.suffix;
	      }
	    }
	  }

	  return state;
	};

	/**
	 * Fast paths for creating regular expressions for common glob patterns.
	 * This can significantly speed up processing and has very little downside
	 * impact when none of the fast paths match.
	 */

	parse.fastpaths = (input, options) => {
	  const opts = { ...options };
	  const max = typeof opts.maxLength === 'number' ? Math.min(MAX_LENGTH, opts.maxLength) : MAX_LENGTH;
	  const len = input.length;
	  if (len > max) {
	    throw new SyntaxError(`Input length: ${len}, exceeds maximum allowed length: ${max}`);
	  }

	  input = REPLACEMENTS[input] || input;

	  // create constants based on platform, for windows or posix
	  const {
	    DOT_LITERAL,
	    SLASH_LITERAL,
	    ONE_CHAR,
	    DOTS_SLASH,
	    NO_DOT,
	    NO_DOTS,
	    NO_DOTS_SLASH,
	    STAR,
	    START_ANCHOR
	  } = constants.globChars(opts.windows);

	  const nodot = opts.dot ? NO_DOTS : NO_DOT;
	  const slashDot = opts.dot ? NO_DOTS_SLASH : NO_DOT;
	  const capture = opts.capture ? '' : '?:';
	  const state = { negated: false, prefix: '' };
	  let star = opts.bash === true ? '.*?' : STAR;

	  if (opts.capture) {
	    star = `(${star})`;
	  }

	  const globstar = opts => {
	    if (opts.noglobstar === true) return star;
	    return `(${capture}(?:(?!${START_ANCHOR}${opts.dot ? DOTS_SLASH : DOT_LITERAL}).)*?)`;
	  };

	  const create = str => {
	    switch (str) {
	      case '*':
	        return `${nodot}${ONE_CHAR}${star}`;

	      case '.*':
	        return `${DOT_LITERAL}${ONE_CHAR}${star}`;

	      case '*.*':
	        return `${nodot}${star}${DOT_LITERAL}${ONE_CHAR}${star}`;

	      case '*/*':
	        return `${nodot}${star}${SLASH_LITERAL}${ONE_CHAR}${slashDot}${star}`;

	      case '**':
	        return nodot + globstar(opts);

	      case '**/*':
	        return `(?:${nodot}${globstar(opts)}${SLASH_LITERAL})?${slashDot}${ONE_CHAR}${star}`;

	      case '**/*.*':
	        return `(?:${nodot}${globstar(opts)}${SLASH_LITERAL})?${slashDot}${star}${DOT_LITERAL}${ONE_CHAR}${star}`;

	      case '**/.*':
	        return `(?:${nodot}${globstar(opts)}${SLASH_LITERAL})?${DOT_LITERAL}${ONE_CHAR}${star}`;

	      default: {
	        const match = /^(.*?)\.(\w+)$/.exec(str);
	        if (!match) return;

	        const source = create(match[1]);
	        if (!source) return;

	        return source + DOT_LITERAL + match[2];
	      }
	    }
	  };

	  const output = utils.removePrefix(input, state);
	  let source = create(output);

	  if (source && opts.strictSlashes !== true) {
	    source += `${SLASH_LITERAL}?`;
	  }

	  return source;
	};

	parse_1 = parse;
	return parse_1;
}

var picomatch_1$1;
var hasRequiredPicomatch$1;

function requirePicomatch$1 () {
	if (hasRequiredPicomatch$1) return picomatch_1$1;
	hasRequiredPicomatch$1 = 1;

	const scan = /*@__PURE__*/ requireScan();
	const parse = /*@__PURE__*/ requireParse();
	const utils = /*@__PURE__*/ requireUtils();
	const constants = /*@__PURE__*/ requireConstants();
	const isObject = val => val && typeof val === 'object' && !Array.isArray(val);

	/**
	 * Creates a matcher function from one or more glob patterns. The
	 * returned function takes a string to match as its first argument,
	 * and returns true if the string is a match. The returned matcher
	 * function also takes a boolean as the second argument that, when true,
	 * returns an object with additional information.
	 *
	 * ```js
	 * const picomatch = require('picomatch');
	 * // picomatch(glob[, options]);
	 *
	 * const isMatch = picomatch('*.!(*a)');
	 * console.log(isMatch('a.a')); //=> false
	 * console.log(isMatch('a.b')); //=> true
	 *
	 * // For environments without `node.js`, `picomatch/posix` provides you a dependency-free matcher, without automatic OS detection.
	 * const picomatch = require('picomatch/posix');
	 * // the same API, defaulting to posix paths
	 * const isMatch = picomatch('a/*');
	 * console.log(isMatch('a\\b')); //=> false
	 * console.log(isMatch('a/b')); //=> true
	 *
	 * // you can still configure the matcher function to accept windows paths
	 * const isMatch = picomatch('a/*', { options: windows });
	 * console.log(isMatch('a\\b')); //=> true
	 * console.log(isMatch('a/b')); //=> true
	 * ```
	 * @name picomatch
	 * @param {String|Array} `globs` One or more glob patterns.
	 * @param {Object=} `options`
	 * @return {Function=} Returns a matcher function.
	 * @api public
	 */

	const picomatch = (glob, options, returnState = false) => {
	  if (Array.isArray(glob)) {
	    const fns = glob.map(input => picomatch(input, options, returnState));
	    const arrayMatcher = str => {
	      for (const isMatch of fns) {
	        const state = isMatch(str);
	        if (state) return state;
	      }
	      return false;
	    };
	    return arrayMatcher;
	  }

	  const isState = isObject(glob) && glob.tokens && glob.input;

	  if (glob === '' || (typeof glob !== 'string' && !isState)) {
	    throw new TypeError('Expected pattern to be a non-empty string');
	  }

	  const opts = options || {};
	  const posix = opts.windows;
	  const regex = isState
	    ? picomatch.compileRe(glob, options)
	    : picomatch.makeRe(glob, options, false, true);

	  const state = regex.state;
	  delete regex.state;

	  let isIgnored = () => false;
	  if (opts.ignore) {
	    const ignoreOpts = { ...options, ignore: null, onMatch: null, onResult: null };
	    isIgnored = picomatch(opts.ignore, ignoreOpts, returnState);
	  }

	  const matcher = (input, returnObject = false) => {
	    const { isMatch, match, output } = picomatch.test(input, regex, options, { glob, posix });
	    const result = { glob, state, regex, posix, input, output, match, isMatch };

	    if (typeof opts.onResult === 'function') {
	      opts.onResult(result);
	    }

	    if (isMatch === false) {
	      result.isMatch = false;
	      return returnObject ? result : false;
	    }

	    if (isIgnored(input)) {
	      if (typeof opts.onIgnore === 'function') {
	        opts.onIgnore(result);
	      }
	      result.isMatch = false;
	      return returnObject ? result : false;
	    }

	    if (typeof opts.onMatch === 'function') {
	      opts.onMatch(result);
	    }
	    return returnObject ? result : true;
	  };

	  if (returnState) {
	    matcher.state = state;
	  }

	  return matcher;
	};

	/**
	 * Test `input` with the given `regex`. This is used by the main
	 * `picomatch()` function to test the input string.
	 *
	 * ```js
	 * const picomatch = require('picomatch');
	 * // picomatch.test(input, regex[, options]);
	 *
	 * console.log(picomatch.test('foo/bar', /^(?:([^/]*?)\/([^/]*?))$/));
	 * // { isMatch: true, match: [ 'foo/', 'foo', 'bar' ], output: 'foo/bar' }
	 * ```
	 * @param {String} `input` String to test.
	 * @param {RegExp} `regex`
	 * @return {Object} Returns an object with matching info.
	 * @api public
	 */

	picomatch.test = (input, regex, options, { glob, posix } = {}) => {
	  if (typeof input !== 'string') {
	    throw new TypeError('Expected input to be a string');
	  }

	  if (input === '') {
	    return { isMatch: false, output: '' };
	  }

	  const opts = options || {};
	  const format = opts.format || (posix ? utils.toPosixSlashes : null);
	  let match = input === glob;
	  let output = (match && format) ? format(input) : input;

	  if (match === false) {
	    output = format ? format(input) : input;
	    match = output === glob;
	  }

	  if (match === false || opts.capture === true) {
	    if (opts.matchBase === true || opts.basename === true) {
	      match = picomatch.matchBase(input, regex, options, posix);
	    } else {
	      match = regex.exec(output);
	    }
	  }

	  return { isMatch: Boolean(match), match, output };
	};

	/**
	 * Match the basename of a filepath.
	 *
	 * ```js
	 * const picomatch = require('picomatch');
	 * // picomatch.matchBase(input, glob[, options]);
	 * console.log(picomatch.matchBase('foo/bar.js', '*.js'); // true
	 * ```
	 * @param {String} `input` String to test.
	 * @param {RegExp|String} `glob` Glob pattern or regex created by [.makeRe](#makeRe).
	 * @return {Boolean}
	 * @api public
	 */

	picomatch.matchBase = (input, glob, options, posix = options && options.windows) => {
	  const regex = glob instanceof RegExp ? glob : picomatch.makeRe(glob, options);
	  return regex.test(utils.basename(input, { windows: posix }));
	};

	/**
	 * Returns true if **any** of the given glob `patterns` match the specified `string`.
	 *
	 * ```js
	 * const picomatch = require('picomatch');
	 * // picomatch.isMatch(string, patterns[, options]);
	 *
	 * console.log(picomatch.isMatch('a.a', ['b.*', '*.a'])); //=> true
	 * console.log(picomatch.isMatch('a.a', 'b.*')); //=> false
	 * ```
	 * @param {String|Array} str The string to test.
	 * @param {String|Array} patterns One or more glob patterns to use for matching.
	 * @param {Object} [options] See available [options](#options).
	 * @return {Boolean} Returns true if any patterns match `str`
	 * @api public
	 */

	picomatch.isMatch = (str, patterns, options) => picomatch(patterns, options)(str);

	/**
	 * Parse a glob pattern to create the source string for a regular
	 * expression.
	 *
	 * ```js
	 * const picomatch = require('picomatch');
	 * const result = picomatch.parse(pattern[, options]);
	 * ```
	 * @param {String} `pattern`
	 * @param {Object} `options`
	 * @return {Object} Returns an object with useful properties and output to be used as a regex source string.
	 * @api public
	 */

	picomatch.parse = (pattern, options) => {
	  if (Array.isArray(pattern)) return pattern.map(p => picomatch.parse(p, options));
	  return parse(pattern, { ...options, fastpaths: false });
	};

	/**
	 * Scan a glob pattern to separate the pattern into segments.
	 *
	 * ```js
	 * const picomatch = require('picomatch');
	 * // picomatch.scan(input[, options]);
	 *
	 * const result = picomatch.scan('!./foo/*.js');
	 * console.log(result);
	 * { prefix: '!./',
	 *   input: '!./foo/*.js',
	 *   start: 3,
	 *   base: 'foo',
	 *   glob: '*.js',
	 *   isBrace: false,
	 *   isBracket: false,
	 *   isGlob: true,
	 *   isExtglob: false,
	 *   isGlobstar: false,
	 *   negated: true }
	 * ```
	 * @param {String} `input` Glob pattern to scan.
	 * @param {Object} `options`
	 * @return {Object} Returns an object with
	 * @api public
	 */

	picomatch.scan = (input, options) => scan(input, options);

	/**
	 * Compile a regular expression from the `state` object returned by the
	 * [parse()](#parse) method.
	 *
	 * ```js
	 * const picomatch = require('picomatch');
	 * const state = picomatch.parse('*.js');
	 * // picomatch.compileRe(state[, options]);
	 *
	 * console.log(picomatch.compileRe(state));
	 * //=> /^(?:(?!\.)(?=.)[^/]*?\.js)$/
	 * ```
	 * @param {Object} `state`
	 * @param {Object} `options`
	 * @param {Boolean} `returnOutput` Intended for implementors, this argument allows you to return the raw output from the parser.
	 * @param {Boolean} `returnState` Adds the state to a `state` property on the returned regex. Useful for implementors and debugging.
	 * @return {RegExp}
	 * @api public
	 */

	picomatch.compileRe = (state, options, returnOutput = false, returnState = false) => {
	  if (returnOutput === true) {
	    return state.output;
	  }

	  const opts = options || {};
	  const prepend = opts.contains ? '' : '^';
	  const append = opts.contains ? '' : '$';

	  let source = `${prepend}(?:${state.output})${append}`;
	  if (state && state.negated === true) {
	    source = `^(?!${source}).*$`;
	  }

	  const regex = picomatch.toRegex(source, options);
	  if (returnState === true) {
	    regex.state = state;
	  }

	  return regex;
	};

	/**
	 * Create a regular expression from a parsed glob pattern.
	 *
	 * ```js
	 * const picomatch = require('picomatch');
	 * // picomatch.makeRe(state[, options]);
	 *
	 * const result = picomatch.makeRe('*.js');
	 * console.log(result);
	 * //=> /^(?:(?!\.)(?=.)[^/]*?\.js)$/
	 * ```
	 * @param {String} `state` The object returned from the `.parse` method.
	 * @param {Object} `options`
	 * @param {Boolean} `returnOutput` Implementors may use this argument to return the compiled output, instead of a regular expression. This is not exposed on the options to prevent end-users from mutating the result.
	 * @param {Boolean} `returnState` Implementors may use this argument to return the state from the parsed glob with the returned regular expression.
	 * @return {RegExp} Returns a regex created from the given pattern.
	 * @api public
	 */

	picomatch.makeRe = (input, options = {}, returnOutput = false, returnState = false) => {
	  if (!input || typeof input !== 'string') {
	    throw new TypeError('Expected a non-empty string');
	  }

	  let parsed = { negated: false, fastpaths: true };

	  if (options.fastpaths !== false && (input[0] === '.' || input[0] === '*')) {
	    parsed.output = parse.fastpaths(input, options);
	  }

	  if (!parsed.output) {
	    parsed = parse(input, options);
	  }

	  return picomatch.compileRe(parsed, options, returnOutput, returnState);
	};

	/**
	 * Create a regular expression from the given regex source string.
	 *
	 * ```js
	 * const picomatch = require('picomatch');
	 * // picomatch.toRegex(source[, options]);
	 *
	 * const { output } = picomatch.parse('*.js');
	 * console.log(picomatch.toRegex(output));
	 * //=> /^(?:(?!\.)(?=.)[^/]*?\.js)$/
	 * ```
	 * @param {String} `source` Regular expression source string.
	 * @param {Object} `options`
	 * @return {RegExp}
	 * @api public
	 */

	picomatch.toRegex = (source, options) => {
	  try {
	    const opts = options || {};
	    return new RegExp(source, opts.flags || (opts.nocase ? 'i' : ''));
	  } catch (err) {
	    if (options && options.debug === true) throw err;
	    return /$^/;
	  }
	};

	/**
	 * Picomatch constants.
	 * @return {Object}
	 */

	picomatch.constants = constants;

	/**
	 * Expose "picomatch"
	 */

	picomatch_1$1 = picomatch;
	return picomatch_1$1;
}

var picomatch_1;
var hasRequiredPicomatch;

function requirePicomatch () {
	if (hasRequiredPicomatch) return picomatch_1;
	hasRequiredPicomatch = 1;

	const pico = /*@__PURE__*/ requirePicomatch$1();
	const utils = /*@__PURE__*/ requireUtils();

	function picomatch(glob, options, returnState = false) {
	  // default to os.platform()
	  if (options && (options.windows === null || options.windows === undefined)) {
	    // don't mutate the original options object
	    options = { ...options, windows: utils.isWindows() };
	  }

	  return pico(glob, options, returnState);
	}

	Object.assign(picomatch, pico);
	picomatch_1 = picomatch;
	return picomatch_1;
}

var picomatchExports = /*@__PURE__*/ requirePicomatch();
var picomatch = /*@__PURE__*/getDefaultExportFromCjs(picomatchExports);

// Patterns used in the config: a glob, or a regular expression written /.../flags.
const REGEX_LITERAL = /^\/(.+)\/([a-z]*)$/s;
/** Throws with a readable message when the pattern is not valid. */
function compilePattern(source) {
    const literal = REGEX_LITERAL.exec(source);
    if (literal !== null) {
        const flags = (literal[2] ?? '').replace(/[gy]/g, '');
        const regex = new RegExp(literal[1], flags);
        return { source, test: (text) => regex.test(text) };
    }
    // `*` may cross `/` in test ids (they contain file paths), so a test pattern like '*pragma*'
    // matches wherever the word stands; `**` keeps its usual meaning for files.
    const glob = picomatch(source, { dot: true, bash: true });
    return { source, test: (text) => glob(text) };
}
/** `text` as a regular expression that matches it literally. */
function escapeRegExp$1(text) {
    return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
function matchesAny(matchers, candidates) {
    for (const matcher of matchers) {
        for (const candidate of candidates) {
            if (candidate !== undefined && matcher.test(candidate))
                return true;
        }
    }
    return false;
}

// The gate's configuration: YAML text in, a validated and compiled Config out.
// Every error names the key it is about, so a maintainer can fix the file without guessing.
class ConfigError extends Error {
    constructor(message) {
        super(message);
        this.name = 'ConfigError';
    }
}
const DEFAULT_CONFIG_PATH = '.github/dual-backend.yml';
/** The most common silent skip: an early return that prints "Skipping ..." and passes. */
const DEFAULT_SKIP_MARKERS = ['^Skipping\\b'];
const DEFAULT_REDACT_ENV = ['DATABASE_URL', 'PGPASSWORD', 'POSTGRES_TEST_URL'];
const KNOWN_KEYS = [
    'backends',
    'backend-in-name',
    'aliases',
    'scope',
    'exemptions',
    'flaky',
    'skip-markers',
    'min-tests',
    'redact-env',
    'artifacts',
    'drift',
    'removed',
    'inventory',
    'expected',
    'evidence',
    'secrets-in-reports'
];
const BACKEND_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Validates a config object (from YAML, or built by the CLI/action from flags and inputs). */
function buildConfig(document, source = 'config') {
    const at = (key, message) => new ConfigError(`${source}: ${key}: ${message}`);
    if (!isRecord(document))
        throw new ConfigError(`${source}: the top level must be a mapping of keys`);
    for (const key of Object.keys(document)) {
        if (!KNOWN_KEYS.includes(key))
            throw at(key, `unknown key (known keys: ${KNOWN_KEYS.join(', ')})`);
    }
    const backendsValue = document.backends ?? {};
    if (!isRecord(backendsValue))
        throw at('backends', 'must map each backend name to a glob or a list of globs');
    const artifactsValue = document.artifacts ?? {};
    if (!isRecord(artifactsValue))
        throw at('artifacts', 'must map each backend name to an artifact name pattern or a list of them');
    const backends = Object.entries(backendsValue).map(([name, globs]) => {
        if (!BACKEND_NAME.test(name))
            throw at(`backends.${name}`, 'a backend name uses letters, digits, ".", "_" and "-"');
        const reports = stringList(globs, `backends.${name}`, at);
        if (reports.length === 0)
            throw at(`backends.${name}`, 'needs at least one report glob');
        const artifactPatterns = stringList(artifactsValue[name] ?? [], `artifacts.${name}`, at);
        return { name, reports, artifacts: artifactPatterns.map((p) => pattern(p, `artifacts.${name}`, at)) };
    });
    for (const name of Object.keys(artifactsValue)) {
        if (!backends.some((b) => b.name === name))
            throw at(`artifacts.${name}`, 'names a backend that is not under backends');
    }
    const aliases = new Map();
    const aliasValue = document.aliases ?? {};
    if (!isRecord(aliasValue))
        throw at('aliases', 'must map a backend name to a list of other spellings');
    for (const [name, spellings] of Object.entries(aliasValue)) {
        for (const spelling of stringList(spellings, `aliases.${name}`, at))
            aliases.set(spelling.toLowerCase(), name);
    }
    for (const backend of backends)
        aliases.set(backend.name.toLowerCase(), backend.name);
    const backendInName = stringList(document['backend-in-name'] ?? [], 'backend-in-name', at).map((source) => {
        let regex;
        try {
            regex = new RegExp(source);
        }
        catch (error) {
            throw at('backend-in-name', `not a valid regular expression: ${error.message}`);
        }
        if (!/\(\?<backend>/.test(source))
            throw at('backend-in-name', `needs a named group (?<backend>...): ${source}`);
        return regex;
    });
    const scope = document.scope ?? {};
    if (!isRecord(scope))
        throw at('scope', 'must be a mapping with include and exclude lists');
    for (const key of Object.keys(scope)) {
        if (key !== 'include' && key !== 'exclude')
            throw at(`scope.${key}`, 'unknown key (use include and exclude)');
    }
    const include = stringList(scope.include ?? [], 'scope.include', at).map((p) => pattern(p, 'scope.include', at));
    const exclude = stringList(scope.exclude ?? [], 'scope.exclude', at).map((p) => pattern(p, 'scope.exclude', at));
    const exemptions = listOf(document.exemptions ?? [], 'exemptions', at).map((entry, index) => exemption(entry, `exemptions[${index}]`, backends, aliases, at));
    const flaky = document.flaky ?? 'warn';
    if (flaky !== 'warn' && flaky !== 'fail')
        throw at('flaky', 'must be "warn" or "fail"');
    const skipMarkers = stringList(document['skip-markers'] ?? DEFAULT_SKIP_MARKERS, 'skip-markers', at).map((source) => {
        try {
            return new RegExp(source, 'm');
        }
        catch (error) {
            throw at('skip-markers', `not a valid regular expression: ${error.message}`);
        }
    });
    const minTests = document['min-tests'] ?? 1;
    if (typeof minTests !== 'number' || !Number.isInteger(minTests) || minTests < 0) {
        throw at('min-tests', 'must be a whole number, 0 or more');
    }
    // Listed variables add to the defaults: a config naming its own secret must not unmask DATABASE_URL.
    const redactEnv = [...new Set([...DEFAULT_REDACT_ENV, ...stringList(document['redact-env'] ?? [], 'redact-env', at)])];
    const drift = document.drift ?? 'fail';
    if (drift !== 'fail' && drift !== 'warn' && drift !== 'off')
        throw at('drift', 'must be "fail", "warn" or "off"');
    const removed = listOf(document.removed ?? [], 'removed', at).map((entry, index) => removal(entry, `removed[${index}]`, at));
    const inventory = document.inventory;
    if (inventory !== undefined && (typeof inventory !== 'string' || inventory.trim().length === 0)) {
        throw at('inventory', 'must be the workspace path of the inventory file (written by `dual-backend-coverage inventory --write`)');
    }
    const expected = new Map();
    const expectedValue = document.expected ?? [];
    if (isRecord(expectedValue)) {
        for (const [name, globs] of Object.entries(expectedValue)) {
            const canonical = aliases.get(name.toLowerCase()) ?? name;
            if (backends.length > 0 && !backends.some((b) => b.name === canonical))
                throw at(`expected.${name}`, 'names a backend that is not under backends');
            expected.set(canonical, stringList(globs, `expected.${name}`, at));
        }
    }
    else {
        // A glob or a list of globs: the collected lists every backend must report (key "*", so
        // backends given later by --backend or the backends input get them too).
        const globs = stringList(expectedValue, 'expected', at);
        if (globs.length > 0)
            expected.set('*', globs);
    }
    const evidence = new Map();
    const evidenceValue = document.evidence ?? {};
    if (!isRecord(evidenceValue))
        throw at('evidence', "must map each backend to a regex (or list) its reports must show, e.g. postgres: 'PostgreSQL 1[4-9]\\.'");
    for (const [name, sources] of Object.entries(evidenceValue)) {
        const canonical = aliases.get(name.toLowerCase()) ?? name;
        if (backends.length > 0 && !backends.some((b) => b.name === canonical))
            throw at(`evidence.${name}`, 'names a backend that is not under backends');
        evidence.set(canonical, stringList(sources, `evidence.${name}`, at).map((source) => {
            try {
                return new RegExp(source);
            }
            catch (error) {
                throw at(`evidence.${name}`, `not a valid regular expression: ${error.message}`);
            }
        }));
    }
    const secretsInReports = document['secrets-in-reports'] ?? 'warn';
    if (secretsInReports !== 'warn' && secretsInReports !== 'fail' && secretsInReports !== 'off')
        throw at('secrets-in-reports', 'must be "warn", "fail" or "off"');
    const config = {
        backends,
        backendInName,
        aliases,
        include,
        exclude,
        exemptions,
        flaky,
        skipMarkers,
        minTests,
        redactEnv,
        drift,
        removed,
        expected,
        evidence,
        secretsInReports
    };
    if (typeof inventory === 'string')
        config.inventory = inventory.trim();
    return config;
}
function removal(entry, key, at) {
    if (!isRecord(entry))
        throw at(key, 'must be a mapping {test, reason}');
    for (const field of Object.keys(entry)) {
        if (field !== 'test' && field !== 'reason')
            throw at(`${key}.${field}`, 'unknown key (use test and reason)');
    }
    const tests = stringList(entry.test ?? [], `${key}.test`, at);
    if (tests.length === 0)
        throw at(`${key}.test`, 'name the removed test: an id or pattern, or a list of them');
    if (typeof entry.reason !== 'string' || entry.reason.trim().length === 0) {
        throw at(`${key}.reason`, 'a reason is required: say why the test was removed (it is shown to the reviewer)');
    }
    return { tests: tests.map((t) => pattern(t, `${key}.test`, at)), reason: entry.reason.trim() };
}
/** Checks that run once the backends are final (after CLI flags or action inputs override them). */
function assertRunnable(config) {
    if (config.backends.length < 2) {
        throw new ConfigError(`backends: at least two backends are needed to compare (found ${config.backends.length}: ${config.backends.map((b) => b.name).join(', ') || 'none'})`);
    }
}
function exemption(entry, key, backends, aliases, at) {
    if (!isRecord(entry))
        throw at(key, 'must be a mapping {test, skip-reason, backends, reason, until}');
    for (const field of Object.keys(entry)) {
        if (!['test', 'skip-reason', 'backends', 'reason', 'until'].includes(field))
            throw at(`${key}.${field}`, 'unknown key (use test, skip-reason, backends, reason, until)');
    }
    const tests = stringList(entry.test ?? [], `${key}.test`, at);
    let skipReason;
    if (entry['skip-reason'] !== undefined) {
        if (typeof entry['skip-reason'] !== 'string' || entry['skip-reason'].length === 0)
            throw at(`${key}.skip-reason`, 'must be a regular expression matched on the skip message');
        try {
            skipReason = new RegExp(entry['skip-reason'], 'i');
        }
        catch (error) {
            throw at(`${key}.skip-reason`, `not a valid regular expression: ${error.message}`);
        }
    }
    if (tests.length === 0 && skipReason === undefined)
        throw at(`${key}.test`, 'a test pattern (or a list of them) or a skip-reason is required');
    if (typeof entry.reason !== 'string' || entry.reason.trim().length === 0) {
        throw at(`${key}.reason`, 'a reason is required: say why this test may skip some backends');
    }
    if (/^TODO\b/i.test(entry.reason.trim())) {
        const where = typeof entry.backends === 'string' || Array.isArray(entry.backends) ? ` (backends: ${String(entry.backends)})` : '';
        throw at(`${key}.reason`, `still the draft placeholder from init ("${entry.reason.trim()}"): replace it with why these tests run only where listed${where}, e.g. "uses JSONB", "SQLite PRAGMA"`);
    }
    const noBackend = typeof entry.backends === 'string' && entry.backends.trim().toLowerCase() === 'none';
    const onBackends = (noBackend ? [] : stringList(entry.backends ?? [], `${key}.backends`, at)).map((name) => {
        const canonical = aliases.get(name.toLowerCase()) ?? name;
        if (backends.length > 0 && !backends.some((b) => b.name === canonical)) {
            throw at(`${key}.backends`, `unknown backend "${name}"`);
        }
        return canonical;
    });
    if (!noBackend && onBackends.length === 0 && skipReason === undefined) {
        throw at(`${key}.backends`, 'list the backends the test is expected to run on, or write `backends: none` for a test no configured backend runs (MySQL-only, skipped everywhere)');
    }
    let until;
    if (entry.until !== undefined) {
        const text = entry.until instanceof Date ? entry.until.toISOString().slice(0, 10) : String(entry.until);
        if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || Number.isNaN(Date.parse(text)))
            throw at(`${key}.until`, 'must be a date YYYY-MM-DD');
        until = text;
    }
    const result = { tests: tests.map((t) => pattern(t, `${key}.test`, at)), backends: onBackends, reason: entry.reason.trim(), until };
    if (skipReason !== undefined)
        result.skipReason = skipReason;
    if (noBackend)
        result.noBackend = true;
    return result;
}
function pattern(source, key, at) {
    try {
        return compilePattern(source);
    }
    catch (error) {
        throw at(key, `not a valid pattern "${source}": ${error.message}`);
    }
}
function stringList(value, key, at) {
    if (value === null)
        return [];
    const list = Array.isArray(value) ? value : [value];
    return list.map((item) => {
        if (typeof item !== 'string' || item.length === 0)
            throw at(key, 'must be a string or a list of strings');
        return item;
    });
}
function listOf(value, key, at) {
    if (!Array.isArray(value))
        throw at(key, 'must be a list');
    return value;
}
function isRecord(value) {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// The test inventory: which in-scope test ids each backend reported. A later run compares its own
// inventory with an earlier one (the base branch's check run, a --baseline verdict, a committed
// inventory file) to find storage tests that vanished from every backend, which comparing the
// backends with each other cannot see.
//
// The digest is the inventory in a compact, versioned text form that fits GitHub's limits:
// sorted ids, front-coded (each line keeps only what differs from the id before it), gzip, base64.
// Pure computation (zlib is a codec, not I/O).
const DIGEST_PREFIX = 'dbc-inventory/1:';
const FORMAT = 'dual-backend-coverage inventory';
const VERSION$1 = 1;
/** A digest that inflates past this is refused: a base check run must not exhaust the gate's memory. */
const MAX_DIGEST_INFLATED_BYTES = 256 * 2 ** 20;
class InventoryError extends Error {
    constructor(message) {
        super(message);
        this.name = 'InventoryError';
    }
}
function compareIds(a, b) {
    return a < b ? -1 : a > b ? 1 : 0;
}
/**
 * Writes a digest one test at a time, each id given as head + tail (see IdTable.headAt) so a
 * million ids never exist as strings at once: only the front-coded lines are kept, about 20
 * bytes a test, until finish() compresses them. Ids in the order given (reports order: ids of a
 * class come together, which is what front coding needs).
 */
class DigestWriter {
    backends;
    chunks = [];
    chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    used = 0;
    previousHead = '';
    previousTail = '';
    count = 0;
    constructor(backends) {
        this.backends = backends;
        if (backends.length > 30)
            throw new InventoryError('an inventory holds at most 30 backends');
    }
    /** `mask`: bit i set when backends[i] reported the test. */
    add(head, tail, mask) {
        let shared;
        if (head === this.previousHead || head.length === 0 || this.previousHead.length === 0) {
            shared = sharedPrefix(this.previousHead, this.previousTail, head, tail);
        }
        else {
            // Classes alternate (10 classes under 64 nested suites): the shared part of two heads is
            // worked out once per pair, not once per test.
            const headsShared = this.headsShared(this.previousHead, head);
            shared = headsShared < Math.min(head.length, this.previousHead.length) ? headsShared : sharedPrefix(this.previousHead, this.previousTail, head, tail);
        }
        // Never split a surrogate pair between the shared prefix and the rest.
        if (shared > 0 && isHighSurrogate$1(charAt(head, tail, shared - 1)))
            shared--;
        const rest = shared >= head.length ? tail.slice(shared - head.length) : head.slice(shared) + tail;
        const line = `${shared}\t${mask.toString(36)}\t${escapeLine(rest)}\n`;
        if (this.used + line.length * 3 > this.chunk.length) {
            this.chunks.push(this.chunk.subarray(0, this.used));
            this.chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, line.length * 3));
            this.used = 0;
        }
        this.used += this.chunk.write(line, this.used, 'utf8');
        this.previousHead = head;
        this.previousTail = tail;
        this.count += 1;
    }
    sharedByPair = new Map();
    headsShared(a, b) {
        let known = this.sharedByPair.get(a);
        if (known === undefined) {
            if (this.sharedByPair.size >= 4096)
                this.sharedByPair.clear();
            known = new Map();
            this.sharedByPair.set(a, known);
        }
        let shared = known.get(b);
        if (shared === undefined) {
            const limit = Math.min(a.length, b.length);
            shared = 0;
            while (shared < limit && a.charCodeAt(shared) === b.charCodeAt(shared))
                shared++;
            if (known.size >= 256)
                known.clear();
            known.set(b, shared);
        }
        return shared;
    }
    finish() {
        const header = JSON.stringify({ format: FORMAT, version: VERSION$1, backends: this.backends, tests: this.count });
        const body = Buffer.concat([Buffer.from(`${header}\n`, 'utf8'), ...this.chunks, this.chunk.subarray(0, this.used)]);
        return DIGEST_PREFIX + gzipSync(body).toString('base64');
    }
}
const CHUNK_BYTES = 1 << 20;
function charAt(head, tail, index) {
    return index < head.length ? head.charCodeAt(index) : tail.charCodeAt(index - head.length);
}
/** The length of the common prefix of (aHead + aTail) and (bHead + bTail), without joining them. */
function sharedPrefix(aHead, aTail, bHead, bTail) {
    let start = 0;
    if (aHead === bHead)
        start = aHead.length;
    const aLength = aHead.length + aTail.length;
    const bLength = bHead.length + bTail.length;
    const limit = Math.min(aLength, bLength);
    let i = start;
    while (i < limit && charAt(aHead, aTail, i) === charAt(bHead, bTail, i))
        i++;
    return i;
}
/** Reads a digest written by encodeDigest or DigestWriter; throws InventoryError on anything else. */
function decodeDigest(digest) {
    const tests = [];
    const { backends } = readDigest(digest, (id, on) => tests.push({ id, backends: on }));
    return { backends, tests };
}
/**
 * Calls `visit` with each test of a digest, in its order, holding one id at a time (a base with
 * a million tests is compared without a million strings). The backends array of a test is
 * shared with others that have the same backends: do not change it.
 */
function readDigest(digest, visit) {
    const text = digest.trim();
    if (!text.startsWith(DIGEST_PREFIX)) {
        const version = /^dbc-inventory\/(\d+):/.exec(text)?.[1];
        throw new InventoryError(version === undefined ? 'not a test inventory digest' : `inventory digest version ${version} is newer than this version of the gate reads (1)`);
    }
    let body;
    try {
        body = gunzipSync(Buffer.from(text.slice(DIGEST_PREFIX.length), 'base64'), { maxOutputLength: MAX_DIGEST_INFLATED_BYTES }).toString('utf8');
    }
    catch (error) {
        throw new InventoryError(`the inventory digest is damaged (${error.message})`);
    }
    const headerEnd = body.indexOf('\n');
    let header;
    try {
        header = JSON.parse(body.slice(0, headerEnd < 0 ? body.length : headerEnd));
    }
    catch {
        throw new InventoryError('the inventory digest has no header');
    }
    if (header.format !== FORMAT || header.version !== VERSION$1 || !Array.isArray(header.backends) || !header.backends.every((b) => typeof b === 'string')) {
        throw new InventoryError('the inventory digest has an unknown header');
    }
    const backends = header.backends;
    const byMask = new Map();
    let previous = '';
    let count = 0;
    for (let start = headerEnd + 1; headerEnd >= 0 && start < body.length;) {
        let end = body.indexOf('\n', start);
        if (end < 0)
            end = body.length;
        const first = body.indexOf('\t', start);
        const second = first < 0 ? -1 : body.indexOf('\t', first + 1);
        count += 1;
        if (first < 0 || second < 0 || second > end)
            throw new InventoryError(`the inventory digest is damaged at test ${count}`);
        const shared = Number(body.slice(start, first));
        const mask = parseInt(body.slice(first + 1, second), 36);
        if (!Number.isInteger(shared) || shared < 0 || shared > previous.length || !Number.isInteger(mask)) {
            throw new InventoryError(`the inventory digest is damaged at test ${count}`);
        }
        const id = previous.slice(0, shared) + unescapeLine(body.slice(second + 1, end));
        let on = byMask.get(mask);
        if (on === undefined) {
            on = backends.filter((_, b) => (mask & (1 << b)) !== 0);
            byMask.set(mask, on);
        }
        visit(id, on);
        previous = id;
        start = end + 1;
    }
    if (header.tests !== count)
        throw new InventoryError(`the inventory digest is incomplete (${count} of ${String(header.tests)} tests)`);
    return { backends, tests: count };
}
function isHighSurrogate$1(code) {
    return code >= 0xd800 && code <= 0xdbff;
}
/** Ids may hold any character; the line format needs "\n", "\r", "\t" and "\\" escaped. */
function escapeLine(text) {
    return /[\\\n\r\t]/.test(text) ? text.replace(/[\\\n\r\t]/g, (c) => ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c]) : text;
}
function unescapeLine(text) {
    return text.includes('\\') ? text.replace(/\\(.)/g, (_m, c) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c) : text;
}
/**
 * The committed inventory file: one id per line, sorted, so a pull request that removes a storage
 * test shows the removal in its diff. Lines starting with "#" are comments; ids are escaped as in
 * the digest (a "\" or line break inside a name).
 */
const INVENTORY_FILE_HEADER = [
    '# dual-backend-coverage inventory: the storage tests that must exist (one test id per line).',
    '# A test listed here that no backend reports fails the gate as "vanished". Written by',
    '# `dual-backend-coverage inventory --write`; when you remove a test on purpose, remove its line.'
];
function formatInventoryFile(ids) {
    const sorted = [...new Set(ids)].sort(compareIds);
    return [...INVENTORY_FILE_HEADER, ...sorted.map((id) => escapeLine(id).replace(/^#/, '\\#'))].join('\n') + '\n';
}
function parseInventoryFile(text, source) {
    const ids = [];
    const lines = text.replace(/^\ufeff/, '').split(/\r?\n/);
    for (const line of lines) {
        if (line.trim().length === 0 || line.startsWith('#'))
            continue;
        ids.push(unescapeLine(line));
    }
    if (ids.length === 0)
        throw new InventoryError(`${source}: the inventory lists no test (write it with \`dual-backend-coverage inventory --write\`)`);
    return ids;
}

const KIND_PHRASE = {
    failed: ['test failed', 'tests failed'],
    errored: ['test errored', 'tests errored'],
    missing: ['test missing', 'tests missing'],
    skipped: ['test skipped', 'tests skipped'],
    flaky: ['test flaky', 'tests flaky'],
    vanished: ['test vanished', 'tests vanished'],
    unproven: ['no evidence the backend ran', 'no evidence the backend ran'],
    exposed: ['secrets in the reports', 'secrets in the reports'],
    'no-report': ['no report', 'no report'],
    empty: ['empty report', 'empty reports'],
    'too-few': ['too few tests', 'too few tests']
};
function verdictTitle(verdict) {
    const title = gapsTitle(verdict);
    const unreachable = (verdict.unreachable ?? []).map((u) => unreachableSentence(u));
    return unreachable.length === 0 ? title : `${title}; ${unreachable.join('; ')}`;
}
/** "postgres: 40 tests could not reach the database (connection refused)". */
function unreachableSentence(group) {
    return `${group.backend}: ${group.tests} ${group.tests === 1 ? 'test' : 'tests'} could not reach the database (${group.cause})`;
}
function gapsTitle(verdict) {
    const names = verdict.backends.map((b) => b.name);
    if (verdict.gaps.length === 0 && verdict.errors.length === 0) {
        return `${verdict.tests} storage ${verdict.tests === 1 ? 'test' : 'tests'} passed on ${joinAnd(names)}`;
    }
    const counts = new Map();
    for (const gap of verdict.gaps) {
        // Vanished tests are on no backend now: one count, whatever backends they ran on before.
        const key = gap.kind === 'vanished' ? 'vanished' : `${gap.kind}\0${gap.backend}`;
        const entry = counts.get(key) ?? { kind: gap.kind, backend: gap.backend, count: 0 };
        entry.count += 1;
        counts.set(key, entry);
    }
    const parts = [...counts.values()].map(({ kind, backend, count }) => {
        const [one, many] = KIND_PHRASE[kind];
        const wholeBackend = kind === 'no-report' || kind === 'empty' || kind === 'too-few' || kind === 'unproven' || kind === 'exposed';
        if (kind === 'vanished')
            return `${count} ${count === 1 ? one : many} from every backend`;
        return wholeBackend ? `${one} for ${backend}` : `${count} ${count === 1 ? one : many} on ${backend}`;
    });
    const head = [];
    if (verdict.errors.length > 0)
        head.push(`${verdict.errors.length} unreadable ${verdict.errors.length === 1 ? 'report' : 'reports'}`);
    if (verdict.gaps.length > 0)
        head.push(`${verdict.gaps.length} ${verdict.gaps.length === 1 ? 'gap' : 'gaps'}`);
    return parts.length > 0 ? `${head.join(', ')}: ${parts.join(', ')}` : head.join(', ');
}
function joinAnd(items) {
    if (items.length <= 1)
        return items.join('');
    return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
/** "the postgres report contains the DATABASE_URL password in 3 testcases: …", never the value. */
function exposureSentence(backend, secrets) {
    const what = [...secrets.names.map((n) => `the ${n} value`), ...(secrets.byShape ? ['credentials (a URL password, a password= value or a token)'] : [])];
    const where = secrets.testcases > 0 ? `in ${secrets.testcases} ${secrets.testcases === 1 ? 'testcase' : 'testcases'}` : 'outside testcases';
    const files = secrets.files === 1 ? 'report contains' : `reports (${secrets.files} files) contain`;
    return `the ${backend} ${files} ${what.join(' and ')} ${where}: the uploaded artifact exposes it; run \`dual-backend-coverage scrub\` on the reports before uploading them`;
}

// Reads the config file (when there is one) and applies backend overrides from flags or inputs.
function loadConfig(source) {
    const explicit = source.path !== undefined && source.path.length > 0;
    const path = explicit ? source.path : DEFAULT_CONFIG_PATH;
    const file = resolve(source.cwd ?? process.cwd(), path);
    const found = explicit || existsSync(file);
    let document = {};
    if (found) {
        let text;
        try {
            text = readFileSync(file, 'utf8');
        }
        catch (error) {
            throw new ConfigError(`${path}: cannot read the config file (${error.code ?? error.message})`);
        }
        try {
            document = yaml.load(text, { filename: path, schema: yaml.CORE_SCHEMA });
        }
        catch (error) {
            throw new ConfigError(`${path}: not valid YAML: ${error.message}`);
        }
        if (document === null || document === undefined) {
            if (source.backends === undefined || source.backends.size === 0) {
                throw new ConfigError(`${path}: the config file is empty; it needs at least \`backends:\`, one report glob per backend (e.g. sqlite: reports/sqlite/*.xml)`);
            }
            document = {};
        }
    }
    if (source.backends !== undefined && source.backends.size > 0) {
        if (typeof document !== 'object' || document === null || Array.isArray(document)) {
            throw new ConfigError(`${path}: the top level must be a mapping of keys`);
        }
        document = { ...document, backends: Object.fromEntries(source.backends) };
    }
    const config = buildConfig(document, found ? path : 'config');
    assertRunnable(config);
    return config;
}
/** Parses `name=glob` (CLI) or `name: glob` (action input) lines; a repeated name adds globs. */
function parseBackendLines(lines, separator) {
    const backends = new Map();
    for (const raw of lines) {
        const line = raw.trim();
        if (line.length === 0 || line.startsWith('#'))
            continue;
        const at = line.indexOf(separator);
        const name = at > 0 ? line.slice(0, at).trim() : '';
        const glob = at > 0 ? line.slice(at + 1).trim() : '';
        if (name.length === 0 || glob.length === 0) {
            throw new ConfigError(`backends: expected "name${'=' }glob", got "${line}"`);
        }
        backends.set(name, [...(backends.get(name) ?? []), glob]);
    }
    return backends;
}

// The workflow doctor: reads GitHub Actions workflow files and names the known pitfalls that
// make the dual-backend gate lie (a skipped gate that counts as passing, a check name shared
// with a job) or flake (a database that is not ready, a report that is not uploaded when a test
// fails), each with the file, the line and the fix. Pure: the caller reads the files.
//
// Positions: js-yaml keeps no positions on the objects it returns, so the parse runs with its
// `listener` option, which reports the parser state when each node opens and closes. Every
// mapping and sequence is paired with the positions of its keys and items (a WeakMap keyed by
// the returned object), so a finding on `jobs.gate.if` can name the line of `if:`.
/** The rule ids, stable: tools and tests match on them. */
const DOCTOR_RULES = [
    'yaml',
    'too-large',
    'service-health-check',
    'upload-without-always',
    'gate-without-always',
    'gate-missing-needs',
    'continue-on-error',
    'check-name-equals-job',
    'echo-secret',
    'upload-unscrubbed'
];
/** Workflow files larger than this (characters; the CLI also checks bytes) are not parsed. */
const MAX_WORKFLOW_CHARS = 1024 * 1024;
/** The action's default `check-name` (action.yml, src/action/inputs.ts). */
const DEFAULT_CHECK_NAME = 'dual-backend coverage';
const GATE_ACTION = 'dual-backend-coverage';
/** Variables the gate always redacts (docs/security.md): printing them leaks a password. */
const SENSITIVE_VARIABLES = ['DATABASE_URL', 'PGPASSWORD', 'POSTGRES_TEST_URL'];
/** A finding for a file that was not checked because it is too large (`size` in bytes or characters). */
function tooLargeFinding(file, size) {
    return {
        file,
        line: 1,
        rule: 'too-large',
        severity: 'error',
        message: `The file is over the doctor's 1 MiB limit (${size} bytes), so it was not checked.`,
        fix: 'Split the workflow into smaller files (a reusable workflow, a composite action) so that each can be checked.'
    };
}
class YamlError extends Error {
    line;
    column;
    constructor(message, line, column) {
        super(message);
        this.line = line;
        this.column = column;
    }
}
function isObject$1(value) {
    return typeof value === 'object' && value !== null;
}
function parseWithPositions(text, file) {
    const positions = new WeakMap();
    const stack = [];
    let document;
    try {
        document = yaml.load(text, {
            filename: file,
            schema: yaml.DEFAULT_SCHEMA,
            listener(event, state) {
                if (event === 'open') {
                    stack.push({ line: state.line, column: state.position - state.lineStart, children: [] });
                    return;
                }
                const frame = stack.pop();
                if (frame === undefined)
                    return;
                const closed = { line: frame.line, column: frame.column, endLine: state.line, kind: state.kind, result: state.result };
                const result = state.result;
                // The first close of an object wins: a later alias (*name) closes with the same object.
                if ((state.kind === 'mapping' || state.kind === 'sequence') && isObject$1(result) && !positions.has(result)) {
                    positions.set(result, Array.isArray(result) ? sequenceShape(closed, result, frame.children) : mappingShape(closed, result, frame.children, positions));
                }
                const parent = stack[stack.length - 1];
                if (parent !== undefined)
                    parent.children.push(closed);
            }
        });
    }
    catch (error) {
        const e = error;
        const reason = typeof e.reason === 'string' ? e.reason : String(e.message ?? error);
        const line = typeof e.mark?.line === 'number' ? e.mark.line : 0;
        const column = typeof e.mark?.column === 'number' ? e.mark.column : undefined;
        throw new YamlError(reason, line, column);
    }
    return { document, positions };
}
function span(node) {
    return { line: node.line, column: node.column, endLine: node.endLine };
}
/**
 * Pairs the key and value nodes closed inside a mapping with its keys. Block mappings alternate
 * key, value; a flow entry without a value (`{a, b: 1}`) or `? key` has no value node, so a
 * node counts as the value only when it is the key's value.
 */
function mappingShape(at, result, children, positions) {
    const keys = new Map();
    const merged = [];
    let i = 0;
    while (i < children.length) {
        const keyNode = children[i];
        i += 1;
        const keyText = String(keyNode.result);
        const next = children[i];
        if (keyText === '<<' && !Object.hasOwn(result, '<<')) {
            // A merge key (`<<: *defaults` or `<<: [*a, *b]`): its keys keep their own positions.
            if (next !== undefined && isObject$1(next.result)) {
                i += 1;
                for (const source of Array.isArray(next.result) ? next.result : [next.result])
                    if (isObject$1(source))
                        merged.push(source);
            }
            continue;
        }
        let value;
        if (next !== undefined && Object.hasOwn(result, keyText) && Object.is(result[keyText], next.result)) {
            value = span(next);
            i += 1;
        }
        if (!keys.has(keyText))
            keys.set(keyText, { key: span(keyNode), value });
    }
    for (const source of merged) {
        const shape = positions.get(source);
        if (shape === undefined)
            continue;
        for (const [key, entry] of shape.keys)
            if (!keys.has(key))
                keys.set(key, entry);
    }
    const first = children[0];
    const start = first !== undefined && first.line >= at.line ? { line: first.line, column: first.column, endLine: at.endLine } : span(at);
    return { at: start, keys, items: [] };
}
function sequenceShape(at, result, children) {
    const items = [];
    let cursor = 0;
    for (const item of result) {
        let found;
        for (let j = cursor; j < children.length; j += 1) {
            const child = children[j];
            if (Object.is(child.result, item)) {
                found = span(child);
                cursor = j + 1;
                break;
            }
        }
        items.push(found);
    }
    return { at: span(at), keys: new Map(), items };
}
function isDict(value) {
    return isObject$1(value) && !Array.isArray(value);
}
function asString(value) {
    return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
}
function keySpan(positions, owner, key) {
    return isObject$1(owner) ? positions.get(owner)?.keys.get(key)?.key : undefined;
}
function valueSpan(positions, owner, key) {
    return isObject$1(owner) ? positions.get(owner)?.keys.get(key)?.value : undefined;
}
function readWorkflow(file, document, positions, lines) {
    const jobs = [];
    const jobsValue = document.jobs;
    if (isDict(jobsValue)) {
        for (const [id, value] of Object.entries(jobsValue)) {
            if (!isDict(value))
                continue;
            const at = keySpan(positions, jobsValue, id) ?? positions.get(jobsValue)?.at ?? { line: 0, column: 0};
            const needsValue = value.needs;
            const needs = typeof needsValue === 'string' ? [needsValue] : Array.isArray(needsValue) ? needsValue.filter((n) => typeof n === 'string') : [];
            const steps = [];
            const stepsValue = value.steps;
            if (Array.isArray(stepsValue)) {
                const shape = positions.get(stepsValue);
                stepsValue.forEach((step, index) => {
                    if (!isDict(step))
                        return;
                    const stepAt = positions.get(step)?.at ?? shape?.items[index] ?? keySpan(positions, value, 'steps') ?? at;
                    steps.push({ index, value: step, line: stepAt.line, column: stepAt.column, uses: asString(step.uses), run: asString(step.run) });
                });
            }
            jobs.push({ id, value, line: at.line, column: at.column, name: asString(value.name), needs, steps });
        }
    }
    return { file, document, positions, lines, jobs };
}
// ---- detection helpers --------------------------------------------------------------------
const BACKEND_WORD = /sqlite|postgres|postgis|mysql|mariadb/i;
const DATABASE_IMAGE = /^(postgres|postgresql|postgis|mysql|mariadb)(?:-[a-z0-9.-]+)?$/i;
const TEST_COMMAND = /(?:^|[\s;&|(])(?:pytest|py\.test|tox|nox|vitest|jest|mocha|gotestsum|rspec|phpunit|ctest|go\s+test|cargo\s+(?:test|nextest)|\.?\/?mvnw?|\.?\/?gradlew?|(?:npm|pnpm|yarn|bun)\s+(?:run\s+)?test(?::\S*)?|npx\s+(?:vitest|jest|mocha)|dotnet\s+test|mix\s+test|(?:bundle\s+exec\s+)?rake\s+test|make\s+(?:test|check))(?=$|[\s;&|)])/im;
const REPORT_ARTIFACT = /junit|test-?results?|reports?|surefire|nextest|\.xml|sqlite|postgres|mysql|mariadb|\$\{\{\s*matrix\./i;
const UPLOAD_ARTIFACT = /^actions\/upload-artifact@/i;
const EXPLICIT_WAIT = /pg_isready|mysqladmin\s+ping|mariadb-admin\s+ping|healthcheck\.sh|wait-for-it|dockerize\b.*-wait|until\s[^\n]*(?:psql|mysql)/i;
/** `if:` text that runs the step or job after a failure too. */
function runsAfterFailure(condition) {
    const text = asString(condition);
    if (text === undefined)
        return false;
    if (/\balways\s*\(\s*\)/i.test(text) || /!\s*cancelled\s*\(\s*\)/i.test(text))
        return true;
    // The `success() || failure()` idiom (= !cancelled()).
    return /\bsuccess\s*\(\s*\)/i.test(text) && /\bfailure\s*\(\s*\)/i.test(text) && !text.includes('&&');
}
function isTrue(value) {
    return value === true || (typeof value === 'string' && value.trim().toLowerCase() === 'true');
}
/** Whether a backend word occurs in a value's keys or strings (bounded; aliases visited once). */
function mentionsBackend(value, budget = { left: 10_000 }, seen = new Set()) {
    if (budget.left <= 0)
        return false;
    budget.left -= 1;
    if (typeof value === 'string')
        return BACKEND_WORD.test(value);
    if (!isObject$1(value) || seen.has(value))
        return false;
    seen.add(value);
    if (Array.isArray(value))
        return value.some((item) => mentionsBackend(item, budget, seen));
    for (const [key, item] of Object.entries(value))
        if (BACKEND_WORD.test(key) || mentionsBackend(item, budget, seen))
            return true;
    return false;
}
/** The scrub sub-action (`OWNER/dual-backend-coverage/scrub@v1`, `./scrub` here): a backend job's step, not the gate. */
function isScrubAction(uses, gateAction) {
    const text = uses.trim().toLowerCase();
    if (/(^|\/)dual-backend-coverage\/scrub(@|\/?$)/.test(text))
        return true;
    const gate = (gateAction ?? '').trim().toLowerCase().replace(/\/+$/, '');
    return gate !== '' && (text.replace(/\/+$/, '') === `${gate === '.' ? '.' : gate}/scrub` || text.startsWith(`${gate}/scrub@`));
}
/** A step that scrubs the reports: the sub-action, or the CLI's `scrub` command in a run script. */
function isScrubStep(step, gateAction) {
    if (step.uses !== undefined)
        return isScrubAction(step.uses, gateAction);
    return step.run !== undefined && /\b(?:dual-backend-coverage(?:@[\w.^~-]+)?|cli\.js)\s+scrub\b/.test(step.run);
}
function matchesGateAction(uses, gateAction) {
    if (isScrubAction(uses, gateAction))
        return false;
    if (uses.toLowerCase().includes(GATE_ACTION))
        return true;
    if (gateAction === undefined || gateAction.trim() === '')
        return false;
    const wanted = gateAction.trim();
    if (wanted.startsWith('./') || wanted === '.') {
        const strip = (s) => s.trim().replace(/\/+$/, '') || '.';
        return strip(uses) === strip(wanted);
    }
    return uses.toLowerCase().includes(wanted.toLowerCase());
}
function gateStep(job, gateAction) {
    return job.steps.find((step) => step.uses !== undefined && matchesGateAction(step.uses, gateAction));
}
function isTestStep(step) {
    return step.run !== undefined && TEST_COMMAND.test(step.run);
}
function isReportUpload(step) {
    if (step.uses === undefined || !UPLOAD_ARTIFACT.test(step.uses.trim()))
        return false;
    const withValue = isDict(step.value.with) ? step.value.with : {};
    const name = asString(withValue.name);
    const path = asString(withValue.path);
    return (name === undefined && path === undefined) || REPORT_ARTIFACT.test(name ?? '') || REPORT_ARTIFACT.test(path ?? '');
}
const DOWNLOAD_ARTIFACT = /^actions\/download-artifact@/i;
/** What the job's download-artifact steps fetch: artifact name globs, or everything. */
function downloadSelectors(job) {
    const steps = job.steps.filter((step) => step.uses !== undefined && DOWNLOAD_ARTIFACT.test(step.uses.trim()));
    if (steps.length === 0)
        return undefined;
    let all = false;
    const globs = [];
    for (const step of steps) {
        const withValue = isDict(step.value.with) ? step.value.with : {};
        const selectors = [asString(withValue.name), asString(withValue.pattern)].filter((p) => p !== undefined && p.trim() !== '');
        if (selectors.length === 0)
            all = true;
        for (const selector of selectors)
            globs.push(globToRegExp(selector.trim()));
    }
    return { all, globs };
}
/** An artifact-name glob (`*`, `?`; an expression matches anything) as a regular expression. */
function globToRegExp(glob) {
    const source = glob
        .split(/(\$\{\{[^}]*\}\}|\*+|\?)/)
        .map((part) => (part.startsWith('${{') || part.startsWith('*') ? '.*' : part === '?' ? '.' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
        .join('');
    return new RegExp(`^${source}$`, 'i');
}
/** Whether the job uploads an artifact that these downloads fetch. */
function feeds(job, downloads) {
    return job.steps.some((step) => {
        if (step.uses === undefined || !UPLOAD_ARTIFACT.test(step.uses.trim()))
            return false;
        if (downloads.all)
            return isReportUpload(step);
        const withValue = isDict(step.value.with) ? step.value.with : {};
        // An expression in the name (junit-${{ matrix.backend }}) stands for some text.
        const name = (asString(withValue.name) ?? 'artifact').replace(/\$\{\{[^}]*\}\}/g, 'x');
        return downloads.globs.some((glob) => glob.test(name));
    });
}
function databaseServices(job) {
    const services = job.value.services;
    if (!isDict(services))
        return [];
    const found = [];
    for (const [id, value] of Object.entries(services)) {
        if (!isDict(value))
            continue;
        const image = asString(value.image);
        if (image === undefined)
            continue;
        // registry/namespace/name:tag@digest -> name
        const name = (image.split('@')[0] ?? '').split('/').pop()?.split(':')[0] ?? '';
        if (DATABASE_IMAGE.test(name))
            found.push({ id, value, image });
    }
    return found;
}
/** Jobs that look like backend jobs on their own: a backend word and tests or a report upload. */
function looksLikeBackendJob(job) {
    const testSteps = job.steps.filter(isTestStep);
    if (testSteps.length === 0 && !job.steps.some(isReportUpload))
        return false;
    return (BACKEND_WORD.test(job.id) ||
        BACKEND_WORD.test(job.name ?? '') ||
        mentionsBackend(isDict(job.value.strategy) ? job.value.strategy.matrix : undefined) ||
        mentionsBackend(job.value.env) ||
        testSteps.some((step) => mentionsBackend(step.value.env)) ||
        databaseServices(job).length > 0);
}
// ---- echo-secret: a small shell splitter ------------------------------------------------------
const VARIABLE_REFERENCE = new RegExp([
    `\\$\\{?(?:${SENSITIVE_VARIABLES.join('|')})\\b`,
    `\\$env:(?:${SENSITIVE_VARIABLES.join('|')})\\b`,
    `%(?:${SENSITIVE_VARIABLES.join('|')})%`,
    `\\$\\{\\{[^}]*?\\b(?:secrets\\s*(?:\\.|\\[)|env\\.(?:${SENSITIVE_VARIABLES.join('|')})\\b)`
].join('|'), 'i');
const PRINT_COMMAND = /^(?:echo|printf|print|puts|write-host|write-output)$/i;
const XTRACE_ON = /^set\s+(?:-[A-Za-z]*x[A-Za-z]*\b|-o\s+xtrace\b)/;
const XTRACE_OFF = /^set\s+(?:\+[A-Za-z]*x[A-Za-z]*\b|\+o\s+xtrace\b)/;
/** Splits one line at unquoted `;`, `&&`, `||`, `|`, `&`; an unquoted `#` at a word start ends it. */
function splitCommands(line) {
    const segments = [];
    let current = '';
    let quote;
    let redirected = false;
    const push = (pipedTo) => {
        if (current.trim() !== '')
            segments.push({ text: current.trim(), pipedTo, redirected });
        current = '';
        redirected = false;
    };
    for (let i = 0; i < line.length; i += 1) {
        const ch = line[i];
        if (quote !== undefined) {
            if (ch === '\\' && quote === '"' && i + 1 < line.length) {
                current += ch + line[i + 1];
                i += 1;
            }
            else {
                if (ch === quote)
                    quote = undefined;
                current += ch;
            }
            continue;
        }
        if (ch === '\\' && i + 1 < line.length) {
            current += ch + line[i + 1];
            i += 1;
        }
        else if (ch === '"' || ch === "'") {
            quote = ch;
            current += ch;
        }
        else if (ch === '#' && (current === '' || /\s$/.test(current))) {
            break;
        }
        else if (ch === ';') {
            push(false);
        }
        else if (ch === '&' || ch === '|') {
            const double = line[i + 1] === ch;
            if (ch === '&' && /[<>]$/.test(current)) {
                current += ch; // `2>&1`, `>&2`
                continue;
            }
            push(ch === '|' && !double);
            if (double)
                i += 1;
        }
        else if (ch === '>') {
            let j = i + 1;
            if (line[j] === '>')
                j += 1;
            if (line[j] !== '&')
                redirected = true;
            current += line.slice(i, j);
            i = j - 1;
        }
        else {
            current += ch;
        }
    }
    push(false);
    return segments;
}
/** The command words of a segment, without `sudo`, `command`, `!`, `(`, `{` and `X=1` prefixes. */
function commandWords(text) {
    const words = text.replace(/^[({!\s]+/, '').split(/\s+/).filter((w) => w !== '');
    while (words.length > 0 && (/^(?:sudo|command|builtin|exec)$/.test(words[0]) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0])))
        words.shift();
    return words;
}
function findLeaks(script, sensitiveInScope, xtraceFromShell) {
    const leaks = [];
    const lines = script.split(/\r\n|\r|\n/);
    let xtrace = xtraceFromShell ? { index: -1, needles: [] } : undefined;
    let xtraceReported = false;
    lines.forEach((raw, index) => {
        const line = raw.trim();
        if (line === '' || line.startsWith('#'))
            return;
        if (XTRACE_ON.test(line)) {
            xtrace = { index, needles: [line, line.split(/[;&|]/)[0] ?? line] };
            xtraceReported = false;
        }
        else if (XTRACE_OFF.test(line)) {
            xtrace = undefined;
        }
        const segments = splitCommands(line);
        let leakedHere = false;
        segments.forEach((segment, s) => {
            if (leakedHere)
                return;
            const words = commandWords(segment.text);
            const command = (words[0] ?? '').toLowerCase();
            const reference = VARIABLE_REFERENCE.exec(segment.text)?.[0];
            if (PRINT_COMMAND.test(command) && reference !== undefined && !segment.text.includes('::add-mask::') && !segment.redirected) {
                const next = segments[s + 1];
                const nextCommand = next === undefined ? '' : (commandWords(next.text)[0] ?? '').toLowerCase();
                if (!segment.pipedTo || nextCommand === 'tee' || nextCommand === 'cat') {
                    leaks.push({ index, needles: [line, segment.text, reference], what: `\`${reference.replace(/\s+$/, '')}\``, kind: 'print' });
                    leakedHere = true;
                    return;
                }
            }
            if ((command === 'printenv' || command === 'env') && !segment.redirected) {
                const args = words.slice(1);
                const named = args.find((a) => SENSITIVE_VARIABLES.includes(a));
                if (command === 'printenv' && named !== undefined) {
                    leaks.push({ index, needles: [line, segment.text], what: `\`${named}\``, kind: 'print' });
                    leakedHere = true;
                }
                else if (args.length === 0 && sensitiveInScope) {
                    leaks.push({ index, needles: [line, segment.text], what: `every environment variable (\`${command}\`)`, kind: 'dump' });
                    leakedHere = true;
                }
            }
        });
        if (!leakedHere && xtrace !== undefined && !xtraceReported && !XTRACE_ON.test(line)) {
            const reference = VARIABLE_REFERENCE.exec(line)?.[0];
            if (reference !== undefined) {
                leaks.push({ index: xtrace.index, needles: xtrace.needles, what: `\`${reference.replace(/\s+$/, '')}\` (traced by \`set -x\`)`, kind: 'xtrace' });
                xtraceReported = true;
            }
        }
    });
    return leaks;
}
// ---- the rules ----------------------------------------------------------------------------
class Collector {
    findings = [];
    seen = new Set();
    add(file, at, rule, severity, message, fix) {
        const line = at.line + 1;
        const key = `${file}\0${line}\0${rule}\0${message}`;
        if (this.seen.has(key))
            return;
        this.seen.add(key);
        const finding = { file, line, rule, message, fix, severity };
        if (at.column !== undefined)
            finding.column = at.column + 1;
        this.findings.push(finding);
    }
}
function list(names) {
    return names.map((n) => `"${n}"`).join(', ');
}
function quoteYaml(names) {
    return `[${names.map((n) => (/^[A-Za-z0-9_-]+$/.test(n) ? n : JSON.stringify(n))).join(', ')}]`;
}
function healthFix(image) {
    const name = image.toLowerCase();
    const cmd = /mariadb/.test(name) ? '"healthcheck.sh --connect --innodb_initialized"' : /mysql/.test(name) ? '"mysqladmin ping -h 127.0.0.1"' : 'pg_isready';
    return `Add to the service: \`options: >- --health-cmd ${cmd} --health-interval 5s --health-timeout 5s --health-retries 10\` (the runner then waits for "healthy" before the first step).`;
}
function checkServices(wf, job, out) {
    const services = job.value.services;
    const wait = job.steps.some((step) => step.run !== undefined && EXPLICIT_WAIT.test(step.run));
    for (const service of databaseServices(job)) {
        const options = asString(service.value.options);
        if (options !== undefined && /--health-cmd\b/.test(options))
            continue;
        const at = keySpan(wf.positions, services, service.id) ?? job;
        out.add(wf.file, at, 'service-health-check', wait ? 'warning' : 'error', `Service "${service.id}" (${service.image}) of job "${job.id}" has no --health-cmd, so the steps can start before the database accepts connections${wait ? ' (a step of the job waits for it explicitly, which helps only if it runs before the tests)' : ' and the first tests fail with "connection refused"'}.`, healthFix(service.image));
    }
}
function checkUploads(wf, job, out) {
    for (const step of job.steps) {
        if (!isReportUpload(step) || runsAfterFailure(step.value.if))
            continue;
        const condition = asString(step.value.if);
        const at = keySpan(wf.positions, step.value, condition === undefined ? 'uses' : 'if') ?? step;
        out.add(wf.file, at, 'upload-without-always', 'error', condition === undefined
            ? `The report upload of backend job "${job.id}" has no \`if: always()\`, so when a test fails the upload is skipped and the gate shows "no report" instead of the failing tests.`
            : `The report upload of backend job "${job.id}" runs only \`if: ${condition.trim()}\`, so in the other outcomes the upload is skipped and the gate shows "no report" for this backend.`, condition === undefined ? 'Add `if: always()` to this actions/upload-artifact step.' : 'Replace the condition with `if: always()` on this actions/upload-artifact step.');
    }
}
/**
 * A backend job that holds a database password uploads its raw reports: a failing test's message
 * often quotes the DSN, and the artifact is downloadable by anyone who can read the run.
 */
function checkScrubbed(wf, job, gateAction, out) {
    const holdsSecret = sensitiveEnv(wf.document.env) || sensitiveEnv(job.value.env) || databaseServices(job).length > 0 || job.steps.some((step) => sensitiveEnv(step.value.env));
    if (!holdsSecret)
        return;
    let scrubbed = false;
    for (const step of job.steps) {
        if (isScrubStep(step, gateAction))
            scrubbed = true;
        if (!isReportUpload(step) || scrubbed)
            continue;
        out.add(wf.file, keySpan(wf.positions, step.value, 'uses') ?? step, 'upload-unscrubbed', 'warning', `Backend job "${job.id}" uploads its JUnit reports as they are, and it holds a database password: a failing test's message that quotes DATABASE_URL puts the password in the artifact.`, 'Before this step, add `- uses: OWNER/dual-backend-coverage/scrub@v1` with `if: always()` and `with: { paths: reports/**/*.xml }` (or run `npx dual-backend-coverage scrub \'reports/**/*.xml\'`).');
    }
}
function checkContinueOnError(wf, job, out) {
    if (isTrue(job.value['continue-on-error'])) {
        out.add(wf.file, keySpan(wf.positions, job.value, 'continue-on-error') ?? job, 'continue-on-error', 'warning', `Backend job "${job.id}" has \`continue-on-error: true\`, so its test failures no longer fail the job (it shows green, and \`needs.${job.id}.result\` says success).`, `Remove \`continue-on-error\` from job "${job.id}": let the job fail; the gate reports which tests failed.`);
    }
    for (const step of job.steps) {
        if (!isTestStep(step) || !isTrue(step.value['continue-on-error']))
            continue;
        out.add(wf.file, keySpan(wf.positions, step.value, 'continue-on-error') ?? step, 'continue-on-error', 'warning', `A test step of backend job "${job.id}" has \`continue-on-error: true\`, so failing tests no longer fail the job.`, 'Remove `continue-on-error` from the test step; to upload the report anyway, give the upload step `if: always()`.');
    }
}
function sensitiveEnv(value) {
    if (!isDict(value))
        return false;
    return Object.entries(value).some(([key, item]) => SENSITIVE_VARIABLES.includes(key) || /\bsecrets\s*(?:\.|\[)/i.test(asString(item) ?? ''));
}
function checkEcho(wf, job, isBackend, out) {
    const jobScope = isBackend || sensitiveEnv(wf.document.env) || sensitiveEnv(job.value.env) || databaseServices(job).length > 0;
    for (const step of job.steps) {
        if (step.run === undefined)
            continue;
        const shell = asString(step.value.shell) ?? '';
        const leaks = findLeaks(step.run, jobScope || sensitiveEnv(step.value.env), /^\s*(?:ba)?sh\s+(?:-[A-Za-z]*x|.*\s-[A-Za-z]*x)/.test(shell));
        if (leaks.length === 0)
            continue;
        const value = valueSpan(wf.positions, step.value, 'run');
        const runKey = keySpan(wf.positions, step.value, 'run') ?? step;
        let cursor = value?.line ?? runKey.line;
        const last = Math.min(value?.endLine ?? runKey.line, wf.lines.length - 1);
        for (const leak of leaks) {
            let line;
            let column;
            const found = leak.index < 0 ? undefined : locate$1(wf.lines, leak.needles, cursor, last);
            if (found !== undefined) {
                line = found.line;
                column = found.column;
                cursor = line + 1;
            }
            else {
                line = leak.index < 0 ? (keySpan(wf.positions, step.value, 'shell') ?? runKey).line : (value?.line ?? runKey.line);
            }
            const fix = leak.kind === 'xtrace'
                ? 'Remove `set -x` (or turn tracing off with `set +x` before the lines that use the variable).'
                : leak.kind === 'dump'
                    ? 'Drop the line, or print only the names: `env | cut -d= -f1 | sort`.'
                    : 'Do not print it: print whether it is set (`[ -n "$DATABASE_URL" ] && echo set`), or mask it first with `echo "::add-mask::$DATABASE_URL"`.';
            out.add(wf.file, column === undefined ? { line } : { line, column }, 'echo-secret', 'error', `A \`run:\` script of job "${job.id}" prints ${leak.what} to the job log, where everyone who can read the repository's logs can see the password or secret.`, fix);
        }
    }
}
/**
 * The first source line in [from, to] (0-based) holding a needle, trying the needles in order:
 * the script line itself (literal blocks, plain scalars), then shorter pieces (a folded block
 * joins lines; a quoted scalar has escapes).
 */
function locate$1(lines, needles, from, to) {
    for (const needle of needles) {
        const wanted = needle.trim();
        if (wanted === '')
            continue;
        for (let i = Math.max(0, from); i <= to; i += 1) {
            const column = (lines[i] ?? '').indexOf(wanted);
            if (column >= 0)
                return { line: i, column };
        }
    }
    return undefined;
}
function checkGate(wf, gate, step, backendIds, everyName, out) {
    const missing = backendIds.filter((id) => id !== gate.id && !gate.needs.includes(id));
    if (missing.length > 0) {
        out.add(wf.file, keySpan(wf.positions, gate.value, 'needs') ?? gate, 'gate-missing-needs', 'error', missing.length === 1
            ? `The gate job "${gate.id}" does not need backend job ${list(missing)}, so it can start before that job's report is uploaded and cannot name the job's result.`
            : `The gate job "${gate.id}" does not need backend jobs ${list(missing)}, so it can start before their reports are uploaded and cannot name their results.`, `Set \`needs: ${quoteYaml([...gate.needs.filter((n) => wf.jobs.some((j) => j.id === n)), ...missing])}\` on job "${gate.id}".`);
    }
    if ((gate.needs.length > 0 || backendIds.length > 0) && !runsAfterFailure(gate.value.if)) {
        const condition = asString(gate.value.if);
        out.add(wf.file, keySpan(wf.positions, gate.value, 'if') ?? gate, 'gate-without-always', 'error', `The gate job "${gate.id}" ${condition === undefined ? 'has no `if: always()`' : `runs only \`if: ${condition.trim()}\``}, so when a backend job fails the gate is skipped, and a skipped job counts as passing for a required check (and the verdict is never posted).`, condition === undefined ? `Add \`if: always()\` to job "${gate.id}".` : `Make it \`if: always() && (${condition.trim()})\` on job "${gate.id}".`);
    }
    const withValue = isDict(step.value.with) ? step.value.with : undefined;
    const given = withValue === undefined ? undefined : asString(withValue['check-name']);
    const checkName = given === undefined || given.trim() === '' ? DEFAULT_CHECK_NAME : given.trim();
    if (checkName.includes('${{'))
        return;
    const clashes = everyName.get(checkName.toLowerCase()) ?? [];
    const clash = clashes.find((c) => c.file === wf.file) ?? clashes[0];
    if (clash === undefined)
        return;
    // The line to change: the check-name input, else the clashing job's name (same file), else the step.
    const clashingJob = clash.file === wf.file ? wf.jobs.find((j) => j.id === clash.job) : undefined;
    const at = (given === undefined ? undefined : keySpan(wf.positions, withValue, 'check-name')) ??
        (clashingJob === undefined ? undefined : clash.what === 'name' ? (keySpan(wf.positions, clashingJob.value, 'name') ?? clashingJob) : clashingJob) ??
        keySpan(wf.positions, step.value, 'uses') ??
        step;
    out.add(wf.file, at, 'check-name-equals-job', 'error', `The gate's check name "${checkName}"${given === undefined ? ' (the default)' : ''} is also the ${clash.what} of job "${clash.job}"${clash.file === wf.file ? '' : ` in ${clash.file}`}, so two check runs with one name sit on the commit and branch protection cannot tell the job's own check from the verdict.`, `Rename job "${clash.job}", or set a distinct \`check-name:\` on the gate step and require that name in branch protection.`);
}
// ---- entry point --------------------------------------------------------------------------
/**
 * Diagnoses workflow files (`.github/workflows/*.yml`). Never throws on bad input: broken YAML
 * is a `yaml` finding with js-yaml's line. Findings are sorted by file, line and rule.
 */
function diagnoseWorkflows(files, options = {}) {
    const out = new Collector();
    const workflows = [];
    for (const { path, text } of files) {
        if (text.length > MAX_WORKFLOW_CHARS) {
            out.findings.push(tooLargeFinding(path, text.length));
            continue;
        }
        let parsed;
        try {
            parsed = parseWithPositions(text, path);
        }
        catch (error) {
            const e = error instanceof YamlError ? error : new YamlError(String(error), 0, undefined);
            out.add(path, { line: e.line, column: e.column }, 'yaml', 'error', `The file is not valid YAML: ${e.message}.`, 'Fix the YAML at this line: GitHub rejects the whole workflow, so none of its jobs run.');
            continue;
        }
        if (parsed.document === undefined || parsed.document === null)
            continue;
        if (!isDict(parsed.document)) {
            out.add(path, { line: 0 }, 'yaml', 'error', 'The file is not a workflow: its top level is not a mapping of keys.', 'Give it the workflow keys (`name:`, `on:`, `jobs:`), or move it out of .github/workflows.');
            continue;
        }
        workflows.push(readWorkflow(path, parsed.document, parsed.positions, text.split(/\r\n|\r|\n/)));
    }
    // Every job id and name, across the workflows (a check run is named after its job).
    const everyName = new Map();
    const addName = (name, entry) => {
        if (name.includes('${{'))
            return;
        const key = name.trim().toLowerCase();
        const entries = everyName.get(key) ?? [];
        entries.push(entry);
        everyName.set(key, entries);
    };
    for (const wf of workflows) {
        for (const job of wf.jobs) {
            addName(job.id, { file: wf.file, job: job.id, what: 'id' });
            if (job.name !== undefined)
                addName(job.name, { file: wf.file, job: job.id, what: 'name' });
        }
    }
    for (const wf of workflows) {
        const gates = wf.jobs.flatMap((job) => {
            const step = gateStep(job, options.gateAction);
            return step === undefined ? [] : [{ job, step }];
        });
        const gateIds = new Set(gates.map((g) => g.job.id));
        const needed = new Set(gates.flatMap((g) => g.job.needs));
        // Jobs after a gate are never its backend jobs (a `needs` cycle is GitHub's error anyway).
        const candidates = wf.jobs.filter((job) => !gateIds.has(job.id) && !job.needs.some((n) => gateIds.has(n)));
        // Per gate, the backend jobs it must need: those uploading an artifact it downloads; when it
        // downloads nothing (workflow_run mode, reports from elsewhere), those that look like one.
        const required = new Map();
        for (const { job: gate } of gates) {
            const downloads = downloadSelectors(gate);
            required.set(gate.id, candidates.filter((job) => (downloads === undefined ? looksLikeBackendJob(job) : feeds(job, downloads))).map((job) => job.id));
        }
        const backend = new Set([...needed, ...[...required.values()].flat()]);
        for (const job of candidates)
            if (looksLikeBackendJob(job))
                backend.add(job.id);
        for (const id of gateIds)
            backend.delete(id);
        for (const job of wf.jobs) {
            checkServices(wf, job, out);
            if (backend.has(job.id)) {
                checkUploads(wf, job, out);
                checkScrubbed(wf, job, options.gateAction, out);
                checkContinueOnError(wf, job, out);
            }
            checkEcho(wf, job, backend.has(job.id), out);
        }
        for (const { job, step } of gates)
            checkGate(wf, job, step, required.get(job.id) ?? [], everyName, out);
    }
    const order = (f) => DOCTOR_RULES.indexOf(f.rule);
    return out.findings.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || (a.column ?? 0) - (b.column ?? 0) || order(a) - order(b)));
}

// dual-backend-coverage doctor [--workflows DIR] [--format text|json] [--gate-action USES]
// Reads the workflow files (DIR/*.yml, DIR/*.yaml) and prints the pitfalls that make the gate
// lie or flake, each with file:line and the fix (src/core/workflow-doctor.ts).
// Exit 0: no findings, or warnings only. 1: at least one error finding. 2: usage error, or no
// workflow directory / no workflow file in it.
const EXIT_CLEAN = 0;
const EXIT_FINDINGS = 1;
const EXIT_USAGE = 2;
const DEFAULT_DIRECTORY = '.github/workflows';
const USAGE$3 = `Usage: dual-backend-coverage doctor [--workflows DIR] [--format text|json] [--gate-action USES]

Checks the GitHub Actions workflows for what makes the dual-backend gate lie or flake: a gate
job without \`if: always()\` or without \`needs\` on every backend job, report uploads that a
failing test skips, database services without a health check, continue-on-error on tests, a
check name shared with a job, secrets printed to the log.
  --workflows DIR     the workflow directory (default ${DEFAULT_DIRECTORY}); its *.yml and *.yaml files are read
  --format FORMAT     text (default) or json (an array of findings)
  --gate-action USES  also treat steps with this \`uses:\` as the gate (e.g. ./ inside the action's own repository)
  -h, --help          show this help

Exit status: 0 no findings (or warnings only), 1 at least one error, 2 usage error or no workflow files.
`;
/**
 * Runs the doctor. `argv` is what follows `doctor` on the command line (a leading `doctor` is
 * ignored, so the whole argument list may be passed too).
 */
async function runDoctor(argv, io) {
    const args = argv[0] === 'doctor' ? argv.slice(1) : argv;
    let values;
    try {
        values = parseArgs({
            args,
            options: {
                workflows: { type: 'string' },
                format: { type: 'string' },
                'gate-action': { type: 'string' },
                help: { type: 'boolean', short: 'h' }
            },
            strict: true,
            allowPositionals: false
        }).values;
    }
    catch (error) {
        io.stderr(`dual-backend-coverage doctor: ${error.message}\n\n${USAGE$3}`);
        return EXIT_USAGE;
    }
    if (values.help === true) {
        io.stdout(USAGE$3);
        return EXIT_CLEAN;
    }
    const format = values.format ?? 'text';
    if (format !== 'text' && format !== 'json') {
        io.stderr(`dual-backend-coverage doctor: --format must be text or json (got "${format}")\n\n${USAGE$3}`);
        return EXIT_USAGE;
    }
    const directoryArg = values.workflows ?? DEFAULT_DIRECTORY;
    if (directoryArg.trim() === '') {
        io.stderr(`dual-backend-coverage doctor: --workflows needs a directory\n\n${USAGE$3}`);
        return EXIT_USAGE;
    }
    const directory = path.resolve(io.cwd, directoryArg);
    let names;
    try {
        const entries = await readdir(directory, { withFileTypes: true });
        names = entries.filter((e) => (e.isFile() || e.isSymbolicLink()) && /\.ya?ml$/i.test(e.name)).map((e) => e.name);
    }
    catch (error) {
        const code = error.code;
        const why = code === 'ENOENT' ? 'no such directory' : code === 'ENOTDIR' ? 'not a directory' : error.message;
        io.stderr(`dual-backend-coverage doctor: no workflow directory ${directoryArg} (${why}); run it from the repository root or pass --workflows DIR\n`);
        return EXIT_USAGE;
    }
    names.sort();
    const files = [];
    const tooLarge = [];
    for (const name of names) {
        const absolute = path.join(directory, name);
        const shown = displayPath(io.cwd, absolute);
        try {
            const info = await stat(absolute);
            if (!info.isFile())
                continue;
            if (info.size > MAX_WORKFLOW_CHARS) {
                tooLarge.push(tooLargeFinding(shown, info.size));
                continue;
            }
            files.push({ path: shown, text: await readFile(absolute, 'utf8') });
        }
        catch (error) {
            io.stderr(`dual-backend-coverage doctor: cannot read ${shown}: ${error.message}\n`);
            return EXIT_USAGE;
        }
    }
    const checked = files.length + tooLarge.length;
    if (checked === 0) {
        io.stderr(`dual-backend-coverage doctor: no workflow files (*.yml, *.yaml) in ${directoryArg}\n`);
        return EXIT_USAGE;
    }
    const gateAction = values['gate-action'];
    const findings = [...tooLarge, ...diagnoseWorkflows(files, gateAction === undefined ? {} : { gateAction })].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
    const errors = findings.filter((f) => f.severity === 'error').length;
    const warnings = findings.length - errors;
    if (format === 'json') {
        io.stdout(`${JSON.stringify(findings, null, 2)}\n`);
    }
    else {
        const out = [];
        for (const f of findings)
            out.push(`${f.file}:${f.line}: ${f.severity}: ${f.message} [${f.rule}]\n    fix: ${f.fix}\n`);
        const where = `${checked} workflow file${checked === 1 ? '' : 's'} in ${directoryArg}`;
        if (findings.length === 0)
            out.push(`doctor: no problems found in ${where}.\n`);
        else
            out.push(`\ndoctor: ${count(errors, 'error')}, ${count(warnings, 'warning')} in ${where}.\n`);
        io.stdout(out.join(''));
    }
    return errors > 0 ? EXIT_FINDINGS : EXIT_CLEAN;
}
function count(n, word) {
    return `${n} ${word}${n === 1 ? '' : 's'}`;
}
/** The path as shown in findings: relative to the working directory, with `/`. */
function displayPath(cwd, absolute) {
    const relative = path.relative(cwd, absolute);
    const shown = relative === '' || path.isAbsolute(relative) ? absolute : relative;
    return shown.split(path.sep).join('/');
}

const ID_SEPARATOR = ' › ';
/** Suite names that are the runner's own label, not part of the test's identity. */
const RUNNER_SUITE_LABELS = new Set(['pytest', 'root suite', 'jest tests', 'vitest tests', 'mocha tests', 'nextest-run', 'test', '(empty)', '']);
/** node:test writes classname="test" for every test. */
const GENERIC_CLASSNAMES = new Set(['test', '']);
/**
 * Report paths are often absolute (PHPUnit, mocha): make them workspace-relative when they sit
 * under one of `roots`, so they link to the repository and match scope patterns.
 */
function normalizeFile(file, roots) {
    if (file === undefined)
        return undefined;
    let out = file.replace(/\\/g, '/');
    for (const root of roots) {
        const prefix = root.replace(/\\/g, '/').replace(/\/+$/, '') + '/';
        if (prefix.length > 1 && out.startsWith(prefix)) {
            out = out.slice(prefix.length);
            break;
        }
    }
    return out.replace(/^(\.\/)+/, '');
}
/** `file` is the testcase's file after normalizeFile. */
function identify(testcase, file, config) {
    let { name, classname } = testcase;
    const suites = [...testcase.suitePath];
    let named;
    if (config.backendInName.length > 0) {
        const strip = (text, isName = false) => {
            if (text === undefined)
                return undefined;
            const result = removeBackend(text, config.backendInName, isName);
            if (result.backend !== undefined)
                named ??= result.backend;
            return result.text;
        };
        name = strip(name, true) ?? '';
        classname = strip(classname);
        for (let i = suites.length - 1; i >= 0; i--)
            suites[i] = strip(suites[i]) ?? '';
    }
    const shownClass = classname === undefined ? undefined : withoutFileModule(classname, file);
    const parts = [];
    if (file !== undefined)
        parts.push(file);
    const keep = (part) => {
        if (part === undefined)
            return;
        const trimmed = part.trim();
        if (trimmed.length === 0 || parts.includes(trimmed))
            return;
        parts.push(trimmed);
    };
    for (const suite of suites) {
        if (RUNNER_SUITE_LABELS.has(suite.trim().toLowerCase()))
            continue;
        if (classname !== undefined && coversSuite(classname, suite))
            continue;
        if (file !== undefined && sameFile$1(file, suite))
            continue;
        if (name.startsWith(`${suite} `) || name.startsWith(`${suite} > `))
            continue;
        keep(suite);
    }
    // jest-junit repeats the name in classname; mocha-junit-reporter puts the bare title there.
    const redundant = classname === name || name.startsWith(`${classname} `) || name.endsWith(` ${classname}`);
    if (classname !== undefined && !GENERIC_CLASSNAMES.has(classname) && !redundant) {
        if (file === undefined || !sameFile$1(file, classname))
            keep(shownClass);
    }
    // A name that was only the backend token (`[postgres]`) leaves no part of its own (a name the
    // report left empty stays an empty last part, as in Identifier's prefixes).
    const trimmedName = name.trim();
    if (trimmedName.length > 0 || parts.length === 0 || testcase.name.trim().length === 0)
        parts.push(trimmedName);
    const canonical = named === undefined ? undefined : (config.aliases.get(named.toLowerCase()) ?? named);
    return { id: parts.join(ID_SEPARATOR), namedBackend: canonical };
}
/**
 * identify() for a stream of testcases, with the same results: the part of an id that depends on
 * the file, the suites and the classname is worked out once per group of testcases sharing them
 * (consecutive in every real report), so a testcase costs a few string comparisons and one
 * concatenation. Reports that name backends in test names (backend-in-name) take identify().
 */
class Identifier {
    config;
    recent = [];
    /**
     * Every prefix built, per suite path (the parser shares one array among a suite's testcases):
     * classes that alternate beyond the recent few would otherwise rebuild a deep suite path's
     * prefix for every testcase (64 nested suites, 10 classes: 0.25 MB/s).
     */
    bySuitePath = new WeakMap();
    constructor(config) {
        this.config = config;
    }
    identify(testcase, file) {
        const { head, tail, namedBackend } = this.identifyParts(testcase, file);
        return { id: head + tail, namedBackend };
    }
    /** Returned by every common-case identifyParts() call (no object per testcase). */
    parts = { head: '', tail: '', namedBackend: undefined };
    /**
     * The id in two parts, `head + tail`, so a caller that only hashes it need not build it.
     * The object returned may be reused by the next call: read it before calling again.
     */
    identifyParts(testcase, file) {
        if (this.config.backendInName.length > 0)
            return whole(identify(testcase, file, this.config));
        const prefix = this.prefixFor(testcase, file);
        const name = testcase.name;
        // The rules that look at the test name: a suite the name starts with is left out, and so is a
        // classname the name repeats. Rare; identify() handles them.
        for (const spaced of prefix.suitesSpaced)
            if (name.startsWith(spaced))
                return whole(identify(testcase, file, this.config));
        const classname = testcase.classname;
        if (prefix.classTested && (classname === name || name.startsWith(prefix.classSpaced) || name.endsWith(prefix.spacedClass))) {
            return whole(identify(testcase, file, this.config));
        }
        const parts = this.parts;
        parts.head = prefix.text;
        parts.tail = trimName(name);
        parts.namedBackend = undefined;
        return parts;
    }
    prefixFor(testcase, file) {
        const recent = this.recent;
        for (let i = 0; i < recent.length; i++) {
            const prefix = recent[i];
            if (prefix.file === file && prefix.classname === testcase.classname && sameList(prefix.suitePath, testcase.suitePath)) {
                if (i > 0) {
                    recent.splice(i, 1);
                    recent.unshift(prefix);
                }
                return prefix;
            }
        }
        let known = this.bySuitePath.get(testcase.suitePath);
        if (known === undefined) {
            known = new Map();
            this.bySuitePath.set(testcase.suitePath, known);
        }
        const key = `${file ?? ''}\u0000${file === undefined ? 0 : 1}${testcase.classname ?? '\u0000'}`;
        let prefix = known.get(key);
        if (prefix === undefined) {
            prefix = buildPrefix(testcase.suitePath, testcase.classname, file);
            if (known.size >= KNOWN_PREFIXES_PER_SUITE)
                known.clear();
            known.set(key, prefix);
        }
        recent.unshift(prefix);
        if (recent.length > RECENT_PREFIXES)
            recent.pop();
        return prefix;
    }
}
/** name.trim(), skipping the call when both ends are printable ASCII (never white space). */
function trimName(name) {
    const first = name.charCodeAt(0);
    const last = name.charCodeAt(name.length - 1);
    return first > 0x20 && first < 0x7f && last > 0x20 && last < 0x7f ? name : name.trim();
}
function whole(identity) {
    return { head: identity.id, tail: '', namedBackend: identity.namedBackend };
}
/**
 * Prefixes kept, most recently used first: testcases of one class come together, and a few more
 * cover classes whose tests alternate. Kept only briefly, so they may share memory with the report.
 */
const RECENT_PREFIXES = 8;
/** Bound on the prefixes remembered per suite path (one per file and classname pair). */
const KNOWN_PREFIXES_PER_SUITE = 4096;
/** The name-independent half of identify(): same rules, same order. */
function buildPrefix(suitePath, classname, file) {
    const parts = [];
    if (file !== undefined)
        parts.push(file);
    const suitesSpaced = [];
    for (const suite of suitePath) {
        if (RUNNER_SUITE_LABELS.has(suite.trim().toLowerCase()))
            continue;
        if (classname !== undefined && coversSuite(classname, suite))
            continue;
        if (file !== undefined && sameFile$1(file, suite))
            continue;
        suitesSpaced.push(`${suite} `);
        const trimmed = suite.trim();
        if (trimmed.length > 0 && !parts.includes(trimmed))
            parts.push(trimmed);
    }
    const classTested = classname !== undefined && !GENERIC_CLASSNAMES.has(classname) && (file === undefined || !sameFile$1(file, classname));
    if (classTested) {
        const trimmed = withoutFileModule(classname, file).trim();
        if (trimmed.length > 0 && !parts.includes(trimmed))
            parts.push(trimmed);
    }
    return {
        file,
        classname,
        suitePath,
        suitesSpaced,
        classTested,
        classSpaced: `${classname ?? ''} `,
        spacedClass: ` ${classname ?? ''}`,
        text: parts.map((part) => part + ID_SEPARATOR).join('')
    };
}
function sameList(a, b) {
    if (a === b)
        return true;
    if (a.length !== b.length)
        return false;
    for (let i = 0; i < a.length; i++)
        if (a[i] !== b[i])
            return false;
    return true;
}
/**
 * Removes the first match of the first `backend-in-name` pattern that matches `text` (its named
 * group `backend` says which backend), then cleans the cut: the joiners, brackets and function
 * words that only joined the backend token to the rest go with it (see cleanCut). Text away from
 * the token is left as it was. Used for test names, classnames and suite names, and for the
 * names and containers of collected test lists, so both sides are cleaned alike.
 */
function removeBackend(text, patterns, isName = false) {
    for (const pattern of patterns) {
        const match = pattern.exec(text);
        const backend = match?.groups?.backend;
        if (match === null || backend === undefined)
            continue;
        if (match[0].length === 0)
            return { text, backend };
        const left = text.slice(0, match.index);
        const right = text.slice(match.index + match[0].length);
        // In a test name, a function word that is all the name holds besides the token is the name, not
        // a joiner: `in [postgres]` stays `in`, else the test would take its container's id.
        const cleaned = cleanCut(left, right).trim();
        return { text: cleaned.length > 0 || !isName ? cleaned : cleanCut(left, right, false).trim(), backend };
    }
    return { text, backend: undefined };
}
/*
 * Cleaning the cut left by a removed backend token, as a class of cases (docs/test-ids.md):
 *  - junk next to the cut: white space and the joiners - – — : / | , . _ ; + &, and whole words:
 *    before the token the conjunctions and/or/vs/versus and the prepositions with/on/in/against/
 *    using/via/for/under ("Notes on PostgreSQL"), after it the conjunctions only;
 *  - brackets or quotes left empty around the cut (`()`, `[]`, `[-]`, `""`) go, and the cut is
 *    cleaned again outside them;
 *  - at an edge (the start or end of the text, or just inside a bracket) the junk on both sides
 *    goes: `enum - postgres` → `enum`, `test_x[postgres-1]` → `test_x[1]`;
 *  - between two pieces of text one separator stays: the token was a list item when a
 *    conjunction or list joiner (/ , & + | ;) follows it (`x with postgres and mysql` → `x with
 *    mysql`), else the junk before it goes (`sqlite/postgres: upsert` → `sqlite: upsert`, `runs
 *    on postgres quickly` → `runs quickly`); runs of white space in what stays become one space.
 * Words with a natural opposite stay unless the opposite is nonsense next to a backend: `with`
 * goes but `without` stays, and neither `from` nor `to`, so `copies from sqlite` and `copies to
 * sqlite` remain two tests.
 */
const JUNK = /[\s\-\u2013\u2014:/|,._;+&]/;
const LIST_JOINERS = /[/|,;+&]/;
const CONJUNCTIONS = new Set(['and', 'or', 'vs', 'versus']);
const WORDS_BEFORE = new Set([...CONJUNCTIONS, 'with', 'on', 'in', 'against', 'using', 'via', 'for', 'under']);
const CLOSER_OF = new Map([
    ['(', ')'],
    ['[', ']'],
    ['{', '}'],
    ['<', '>'],
    ['"', '"'],
    ["'", "'"],
    ['`', '`']
]);
/** Brackets bound a list as the start and end of the text do (quotes cannot tell opening from closing). */
const OPENERS = new Set(['(', '[', '{', '<']);
const CLOSERS = new Set([')', ']', '}', '>']);
function isLetter$1(code) {
    return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}
function isSpace(char) {
    return char !== undefined && /\s/.test(char);
}
/**
 * Where the junk before `end` starts. `_` is a word character: past white space it belongs to the
 * name (`U_ [postgres]` stays `U_`, else it would be the same test as `U [postgres]`).
 */
function junkRunStart(text, end, onList) {
    let at = end;
    let spaced = false;
    while (at > 0 && JUNK.test(text[at - 1])) {
        const char = text[at - 1];
        if (char === '_' && spaced)
            break;
        if (isSpace(char))
            spaced = true;
        if (LIST_JOINERS.test(char))
            onList();
        at--;
    }
    return at;
}
/** Where the junk after `start` ends: the mirror of junkRunStart. */
function junkRunEnd(text, start, onList) {
    let at = start;
    let spaced = false;
    while (at < text.length && JUNK.test(text[at])) {
        const char = text[at];
        if (char === '_' && spaced)
            break;
        if (isSpace(char))
            spaced = true;
        if (LIST_JOINERS.test(char))
            onList();
        at++;
    }
    return at;
}
/** The junk at the end of `left` (just before the cut). */
function junkBefore(left, words) {
    let end = left.length;
    let list = false;
    let word = !words;
    for (;;) {
        end = junkRunStart(left, end, () => (list = true));
        // A word counts only when white space parts it from the token (`x_and_postgres` keeps its `and`).
        if (word || !/\s/.test(left.slice(end)))
            break;
        // A whole word just before the junk: preceded by the start, white space or an opening bracket.
        let start = end;
        while (start > 0 && isLetter$1(left.charCodeAt(start - 1)))
            start--;
        const before = left[start - 1];
        if (start === end || !(before === undefined || isSpace(before) || CLOSER_OF.has(before)))
            break;
        const found = left.slice(start, end).toLowerCase();
        if (!WORDS_BEFORE.has(found))
            break;
        if (CONJUNCTIONS.has(found))
            list = true;
        word = true;
        end = start;
    }
    return { text: left.slice(0, end), junk: left.slice(end), list };
}
/** The junk at the start of `right` (just after the cut). */
function junkAfter(right, words) {
    let start = 0;
    let list = false;
    let word = !words;
    for (;;) {
        start = junkRunEnd(right, start, () => (list = true));
        if (word || !/\s/.test(right.slice(0, start)))
            break;
        // A whole conjunction just after the junk: followed by the end, white space or a closing bracket.
        let end = start;
        while (end < right.length && isLetter$1(right.charCodeAt(end)))
            end++;
        const after = right[end];
        if (end === start || !(after === undefined || isSpace(after) || CLOSERS.has(after) || CLOSER_OF.get(after) === after))
            break;
        if (!CONJUNCTIONS.has(right.slice(start, end).toLowerCase()))
            break;
        list = true;
        word = true;
        start = end;
    }
    return { text: right.slice(start), junk: right.slice(0, start), list };
}
/** `left` + `right` joined where a backend token was cut out of the text (rules above); `words: false` keeps function words. */
function cleanCut(left, right, words = true) {
    for (;;) {
        const l = junkBefore(left, words);
        const r = junkAfter(right, words);
        const open = l.text[l.text.length - 1];
        const close = r.text[0];
        if (open !== undefined && close !== undefined && CLOSER_OF.get(open) === close) {
            // The token was all that the brackets held: they go too, and the cut moves outside them.
            left = l.text.slice(0, -1);
            right = r.text.slice(1);
            continue;
        }
        if (open === undefined || close === undefined || OPENERS.has(open) || CLOSERS.has(close))
            return l.text + r.text;
        // Between two pieces of text: one separator stays.
        if (r.list)
            return l.text + separator(l.junk, r.junk) + r.text;
        return l.text + separator(r.junk, l.junk) + r.text;
    }
}
/** The separator kept at the cut: `kept` with white space runs made one space, else one space if `dropped` had white space. */
function separator(kept, dropped) {
    if (kept.length > 0)
        return kept.replace(/\s+/g, ' ');
    return /\s/.test(dropped) ? ' ' : '';
}
/**
 * pytest's classname starts with the file's module, the path in dotted form (`tests/storage/
 * test_notes.py` → `tests.storage.test_notes`), when the report also names the file (xunit1):
 * the id then holds the path once, and the classname only for what follows the module (the test
 * class, `TestNotes`). A path longer than the module (the workspace is above pytest's rootdir)
 * still matches on its last components. Without a file attribute the dotted module is kept: it is
 * then the only path information.
 */
function withoutFileModule(classname, file) {
    if (file === undefined || !file.endsWith('.py'))
        return classname;
    const path = file.slice(0, -3).split('/');
    const names = classname.split('.');
    for (let k = Math.min(names.length, path.length); k >= 1; k--) {
        let same = true;
        for (let i = 0; i < k && same; i++)
            same = names[i] === path[path.length - k + i];
        if (same)
            return names.slice(k).join('.');
    }
    return classname;
}
/** Namespaces are written with ".", "::", "/" or "\\" depending on the runner (PHPUnit uses two). */
function canonicalName(text) {
    return text.replace(/::|[\\/]/g, '.');
}
function coversSuite(classname, suite) {
    const a = canonicalName(classname);
    const b = canonicalName(suite);
    return a === b || a.startsWith(`${b}.`) || a.startsWith(`${b} `) || a.startsWith(`${b}$`);
}
function sameFile$1(file, other) {
    return file === other || file.endsWith(`/${other}`) || other.endsWith(`/${file}`);
}

// `init`: a starting config drafted from one run's verdict (no exemptions). Pure: the CLI gives it
// the gaps and the id list, it gives back YAML a maintainer reviews. One-sided tests become draft
// exemptions grouped by skip reason, then by file, then by suite; failures are never exempted.
const TODO_PREFIX = 'TODO';
function draftExemptions(input) {
    const names = input.backends.map((b) => b.name);
    const statuses = new Map();
    const messages = new Map();
    for (const gap of input.gaps) {
        if (gap.test === '*' || !names.includes(gap.backend))
            continue;
        const entry = statuses.get(gap.test) ?? new Map();
        statuses.set(gap.test, entry);
        entry.set(gap.backend, gap.kind);
        for (const [other, status] of Object.entries(gap.others))
            if (!entry.has(other) && status !== 'exempt')
                entry.set(other, status);
        if (gap.kind === 'skipped' && gap.message !== undefined) {
            const m = messages.get(gap.test) ?? new Map();
            messages.set(gap.test, m);
            m.set(gap.backend, firstLine$1(gap.message));
        }
    }
    const failing = [];
    const oneSided = [];
    for (const [id, entry] of statuses) {
        const of = (b) => entry.get(b) ?? 'passed';
        if (names.some((b) => of(b) === 'failed' || of(b) === 'errored')) {
            failing.push(id);
            continue;
        }
        const absent = names.filter((b) => of(b) === 'skipped' || of(b) === 'missing');
        if (absent.length === 0)
            continue;
        const runs = names.filter((b) => !absent.includes(b));
        const skipTexts = new Set(absent.map((b) => (of(b) === 'skipped' ? messages.get(id)?.get(b) : undefined)));
        const only = skipTexts.size === 1 ? [...skipTexts][0] : undefined;
        oneSided.push(only === undefined || only.length === 0 ? { id, runs } : { id, runs, message: only });
    }
    const exemptions = [];
    // 1. By skip reason: the same message on the same backends (two tests or more).
    const byReason = groupBy(oneSided.filter((t) => t.message !== undefined), (t) => `${t.runs.join(',')}\u0000${t.message}`);
    const rest = oneSided.filter((t) => t.message === undefined || (byReason.get(`${t.runs.join(',')}\u0000${t.message}`)?.length ?? 0) < 2);
    for (const group of byReason.values()) {
        if (group.length < 2)
            continue;
        const first = group[0];
        exemptions.push({ tests: [], skipReason: `^${escapeRegExp$1(first.message)}`, backends: first.runs, ids: sorted(group.map((t) => t.id)), groupedBy: 'skip reason' });
    }
    // 2. By file (the id's first part), a whole file or suite as one pattern when all of it is one-sided the same way.
    const allIds = [...new Set([...input.ids, ...statuses.keys()])];
    // How many known tests each file and each suite holds: counted once, not per group.
    const perFile = countBy(allIds.filter((id) => id.includes(ID_SEPARATOR)), (id) => headOf(id, 1));
    const perSuite = countBy(allIds, suiteOf);
    const byFile = groupBy(rest, (t) => `${t.runs.join(',')}\u0000${headOf(t.id, 1)}`);
    for (const group of byFile.values()) {
        const runs = group[0].runs;
        const file = headOf(group[0].id, 1);
        const ids = sorted(group.map((t) => t.id));
        if (ids.length > 1 && perFile.get(file) === ids.length && ids.every((id) => id.includes(ID_SEPARATOR)) && safeGlobPart(file)) {
            exemptions.push({ tests: [`${file}${ID_SEPARATOR}*`], backends: runs, ids, groupedBy: 'file' });
            continue;
        }
        const patterns = [];
        const bySuite = groupBy(ids, (id) => suiteOf(id));
        for (const [suite, members] of bySuite) {
            if (members.length > 1 && suite !== '' && suite !== file && perSuite.get(suite) === members.length && safeGlobPart(suite))
                patterns.push(`${suite}${ID_SEPARATOR}*`);
            else
                patterns.push(...members.map((id) => exactPattern(id, allIds)));
        }
        exemptions.push({ tests: sorted(patterns), backends: runs, ids, groupedBy: patterns.length < ids.length ? 'suite' : 'id' });
    }
    exemptions.sort((a, b) => cmp(a.groupedBy === 'skip reason' ? '0' : '1', b.groupedBy === 'skip reason' ? '0' : '1') || cmp(a.skipReason ?? '', b.skipReason ?? '') || cmp(a.tests.join('\n'), b.tests.join('\n')) || cmp(a.backends.join(), b.backends.join()));
    const paired = input.ids.length - oneSided.length - failing.length;
    return { exemptions, failing: sorted(failing), paired: Math.max(0, paired), oneSided: oneSided.length };
}
/** The placeholder reason of a draft exemption, and what the config error asks for. */
function placeholderReason(exemption) {
    const n = exemption.ids.length;
    const these = n === 1 ? 'does this test' : `do these ${n} tests`;
    return exemption.backends.length === 0 ? `${TODO_PREFIX}: why ${these} run on no configured backend?` : `${TODO_PREFIX}: why ${these} run only on ${exemption.backends.join(' and ')}?`;
}
function renderDraft(input, draft) {
    const q = (text) => JSON.stringify(text);
    const lines = [
        '# Drafted by `dual-backend-coverage init`. Review it, then replace every "TODO" reason with why',
        '# those tests run on only some backends: the gate refuses the file while a TODO reason is left.',
        'backends:'
    ];
    for (const b of input.backends)
        lines.push(`  ${b.name}:${b.reports.length === 1 ? ` ${q(b.reports[0])}` : ''}`, ...(b.reports.length === 1 ? [] : b.reports.map((r) => `    - ${q(r)}`)));
    if (input.backendInName !== undefined) {
        lines.push('# The test names carry the backend: this takes it out, so both runs of a test share one id.', `backend-in-name: ${q(input.backendInName)}`);
    }
    if (draft.failing.length > 0) {
        lines.push(`# ${draft.failing.length} test(s) failed or errored on a backend: not exempted, the gate reports them:`);
        for (const id of draft.failing.slice(0, 10))
            lines.push(`#   ${id}`);
        if (draft.failing.length > 10)
            lines.push(`#   ... and ${draft.failing.length - 10} more`);
    }
    if (draft.exemptions.length === 0) {
        lines.push('exemptions: []');
        return lines.join('\n') + '\n';
    }
    lines.push('exemptions:');
    for (const e of draft.exemptions) {
        lines.push(`  # ${e.ids.length} test(s) by ${e.groupedBy}, ${e.backends.length === 0 ? 'on no configured backend' : `only on ${e.backends.join(', ')}`}:`);
        for (const id of e.ids.slice(0, 5))
            lines.push(`  #   ${id.replace(/[\r\n]/g, ' ')}`);
        if (e.ids.length > 5)
            lines.push(`  #   ... and ${e.ids.length - 5} more`);
        let first = true;
        const item = (text) => {
            lines.push(`${first ? '  - ' : '    '}${text}`);
            first = false;
        };
        if (e.tests.length === 1)
            item(`test: ${q(e.tests[0])}`);
        else if (e.tests.length > 1) {
            item('test:');
            for (const t of e.tests)
                lines.push(`      - ${q(t)}`);
        }
        if (e.skipReason !== undefined)
            item(`skip-reason: ${q(e.skipReason)}`);
        item(e.backends.length === 0 ? 'backends: none' : `backends: [${e.backends.join(', ')}]`);
        item(`reason: ${q(placeholderReason(e))}`);
    }
    return lines.join('\n') + '\n';
}
/** Candidate `backend-in-name` regexes for names that carry the backend words. */
function backendInNameCandidates(ids, backends) {
    const words = backends.map(escapeRegExp$1).join('|');
    const candidates = [
        `\\[(?<backend>${words})\\]`,
        `(?<=\\[|-)(?<backend>${words})(?=\\]|-)`,
        `\\s*\\((?<backend>${words})\\)`,
        `(?<=^|[ _.])(?<backend>${words})_`,
        `_(?<backend>${words})(?=$|[ .(\\[])`
    ];
    // No id yet (one report shared by the backends: every name is unassigned): try them all.
    if (ids.length === 0)
        return candidates;
    return candidates.filter((source) => {
        const regex = new RegExp(source, 'i');
        return ids.some((id) => regex.test(id));
    });
}
function firstLine$1(message) {
    return (message.split('\n')[0] ?? '').trim();
}
function headOf(id, parts) {
    return id.split(ID_SEPARATOR).slice(0, parts).join(ID_SEPARATOR);
}
function suiteOf(id) {
    const parts = id.split(ID_SEPARATOR);
    return parts.slice(0, -1).join(ID_SEPARATOR);
}
function safeGlobPart(text) {
    return !/[*?[\]{}()!+@\\]/.test(text) && !text.startsWith('/');
}
/** The id as a pattern that matches only itself among the known ids (a regex literal when a glob would match others). */
function exactPattern(id, known) {
    if (!id.startsWith('/') && !/[\r\n]/.test(id)) {
        if (safeGlobPart(id))
            return id;
        const matcher = compilePattern(id);
        if (!known.some((other) => other !== id && matcher.test(other)))
            return id;
    }
    return `/^${escapeRegExp$1(id).replace(/\//g, '\\/')}$/`;
}
function groupBy(items, key) {
    const map = new Map();
    for (const item of [...items].sort((a, b) => cmp(key(a), key(b)))) {
        const k = key(item);
        const group = map.get(k);
        if (group === undefined)
            map.set(k, [item]);
        else
            group.push(item);
    }
    return new Map([...map].sort(([a], [b]) => cmp(a, b)));
}
function countBy(items, key) {
    const counts = new Map();
    for (const item of items)
        counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
    return counts;
}
function sorted(list) {
    return [...list].sort(cmp);
}
function cmp(a, b) {
    return a < b ? -1 : a > b ? 1 : 0;
}

// The engine's id table: test id → dense index, for millions of ids.
//
// A Map<string, number> plus an array of the id strings costs about 250 bytes and two long-lived
// heap objects per id; at 1M ids that is most of the run's memory and garbage-collector time.
// Here the ids live as UTF-8 bytes in blocks of at most 4 MB, never copied as they grow (each id
// starts on a 4-byte boundary, so hashing and comparing go a word at a time), found through an
// open-addressing hash table of typed arrays: about 115 bytes per id and nothing for the
// collector to trace. The string of an id is rebuilt only when asked for (gaps and exemptions).
//
// An id is stored as its head (everything up to its last " › ", shared by the tests of a class:
// kept once, as a number) and the UTF-8 bytes of the rest, which is what makes ids short.
//
// UTF-8 maps well-formed strings one to one onto bytes, so equal bytes mean equal ids. A string
// with a lone surrogate (which UTF-8 cannot hold), or longer than a block, is kept in an ordinary
// Map instead.
const EMPTY$1 = -1;
const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
/** The first block's size; each next one doubles, up to MAX_BLOCK. */
const FIRST_BLOCK = 1 << 16;
const MAX_BLOCK = 1 << 22;
/** starts[] holds block * BLOCK_SHIFT + byte offset. */
const BLOCK_SHIFT = 2 ** 32;
/** Buffer#utf8Write skips write()'s argument parsing (a measurable cost per id); write() where absent. */
const utf8Write = Buffer.prototype.utf8Write ??
    function (text, offset) {
        return this.write(text, offset, 'utf8');
    };
/** The separator of id parts (identity.ts's ID_SEPARATOR). */
const SEPARATOR = ' › ';
/** A copy of `text` that shares no memory with it (see flatCopy in engine.ts). */
function flatCopy$1(text) {
    return text.length === 0 ? text : (' ' + text).slice(1);
}
const isWellFormed = typeof String.prototype.isWellFormed === 'function'
    ? (text) => text.isWellFormed()
    : (text) => !/\p{Surrogate}/u.test(text);
class IdTable {
    /** UTF-8 bytes of the ids, each padded with zeros to whole words; `blockWords` view the same memory. */
    blocks = [];
    blockWords = [];
    /** Bytes in use in the last block (always a multiple of 4). */
    used = 0;
    /** Where each id's bytes are (block * BLOCK_SHIFT + offset), and its UTF-8 length. */
    starts = new Float64Array(1 << 12);
    lengths = new Uint32Array(1 << 12);
    hashes = new Int32Array(1 << 12);
    /** Open addressing, linear probing, at most half full: id index or EMPTY. */
    slots = new Int32Array(1 << 13).fill(EMPTY$1);
    mask = (1 << 13) - 1;
    count = 0;
    /** The id being looked up, zero-padded to whole words. */
    scratch = Buffer.from(new ArrayBuffer(1 << 12));
    scratchWords = new Int32Array(this.scratch.buffer);
    /** Ids that are not well-formed UTF-16 (lone surrogates) or longer than a block: rare, kept as strings. */
    oddIds = new Map();
    oddStrings = new Map();
    /** Heads of ids (all but their last part), numbered. */
    heads = [];
    headIds = new Map();
    lastHead;
    lastHeadId = 0;
    /** The last prefix found well-formed: callers pass the same prefix for a whole class. */
    wellFormedPrefix;
    get size() {
        return this.count;
    }
    /**
     * The index of the id `prefix + rest`, adding it when it is new (new ids get the next index,
     * 0, 1, 2, ...). Taking the id in two parts spares building it: the parts are encoded one after
     * the other. `expected` is the index it probably has (reports list tests in the same order on
     * every backend): checked first, it spares the hash for the second and later backends.
     */
    intern(prefix, rest = '', expected = -1) {
        if (prefix !== this.wellFormedPrefix) {
            if (isWellFormed(prefix))
                this.wellFormedPrefix = prefix;
        }
        if (prefix !== this.wellFormedPrefix || !isWellFormed(rest)) {
            // A surrogate pair split across the two parts is still a well-formed id.
            const id = prefix + rest;
            if (!isWellFormed(id))
                return this.internOdd(id);
            return this.intern(id, '', expected);
        }
        // Split the id at its last separator, wherever the caller's parts meet, so one id always
        // gives the same head and tail. The parts usually are that split already: a prefix ending in
        // the separator and a name without "›" (a separator overlapping the name would need one).
        let head = prefix;
        let tail = rest;
        if (!((head.length === 0 || head.endsWith(SEPARATOR)) && !tail.includes('›'))) {
            const id = head + tail;
            const at = id.lastIndexOf(SEPARATOR);
            head = at < 0 ? '' : id.slice(0, at + SEPARATOR.length);
            tail = at < 0 ? id : id.slice(at + SEPARATOR.length);
        }
        const needed = tail.length * 3 + 8;
        if (this.scratch.length < needed)
            this.growScratch(needed);
        const length = 4 + utf8Write.call(this.scratch, tail, 4);
        if (length + 4 > MAX_BLOCK)
            return this.internOdd(head + tail);
        this.scratchWords[0] = this.headId(head);
        return this.find(length, expected);
    }
    /**
     * The id of an index in two parts, head + tail: the head (all but the last part, with its
     * separator) is one string shared by every id of its class, so walking all ids this way
     * builds no string per id but the tail.
     */
    headAt(index) {
        if (this.oddStrings.size > 0 && this.oddStrings.has(index))
            return '';
        const start = this.starts[index];
        const block = Math.floor(start / BLOCK_SHIFT);
        return this.heads[this.blockWords[block][(start - block * BLOCK_SHIFT) / 4]];
    }
    tailAt(index) {
        if (this.oddStrings.size > 0) {
            const odd = this.oddStrings.get(index);
            if (odd !== undefined)
                return odd;
        }
        const start = this.starts[index];
        const block = Math.floor(start / BLOCK_SHIFT);
        const offset = start - block * BLOCK_SHIFT;
        return this.blocks[block].toString('utf8', offset + 4, offset + this.lengths[index]);
    }
    /** The id string of an index. */
    idAt(index) {
        return this.headAt(index) + this.tailAt(index);
    }
    headId(head) {
        if (head === this.lastHead)
            return this.lastHeadId;
        // Reports list classes in the same order on every backend: after the first, the next head
        // is usually the one numbered after the last (heads[] and headIds map one to one).
        const next = this.lastHeadId + 1;
        let id;
        if (next < this.heads.length && this.heads[next] === head)
            id = next;
        else {
            // Mostly a new head here: copy it first, so the map hashes one string, not two.
            const copy = flatCopy$1(head);
            id = this.headIds.get(copy);
            if (id === undefined) {
                id = this.heads.length;
                this.heads.push(copy);
                this.headIds.set(copy, id);
            }
        }
        this.lastHead = head;
        this.lastHeadId = id;
        return id;
    }
    find(length, expected) {
        const scratch = this.scratch;
        // Pad the last word with zeros: stored ids are padded the same way, so words compare whole.
        scratch[length] = 0;
        scratch[length + 1] = 0;
        scratch[length + 2] = 0;
        const wordCount = (length + 3) >>> 2;
        if (expected >= 0 && expected < this.count && this.equals(expected, length, wordCount)) {
            if (this.oddStrings.size === 0 || !this.oddStrings.has(expected))
                return expected;
        }
        const words = this.scratchWords;
        let hash = FNV_OFFSET ^ length;
        for (let i = 0; i < wordCount; i++)
            hash = Math.imul(hash ^ words[i], FNV_PRIME);
        hash ^= hash >>> 15;
        const hashes = this.hashes;
        let slot = hash & this.mask;
        for (;;) {
            const index = this.slots[slot];
            if (index === EMPTY$1)
                break;
            if (hashes[index] === hash && this.equals(index, length, wordCount))
                return index;
            slot = (slot + 1) & this.mask;
        }
        return this.add(hash, slot, length, wordCount);
    }
    equals(index, length, wordCount) {
        if (this.lengths[index] !== length)
            return false;
        const start = this.starts[index];
        const block = Math.floor(start / BLOCK_SHIFT);
        const first = (start - block * BLOCK_SHIFT) / 4;
        const words = this.blockWords[block];
        const scratch = this.scratchWords;
        for (let i = 0; i < wordCount; i++)
            if (words[first + i] !== scratch[i])
                return false;
        return true;
    }
    add(hash, slot, length, wordCount) {
        const index = this.reserve();
        let block = this.blocks.length - 1;
        if (block < 0 || this.used + wordCount * 4 > this.blocks[block].length) {
            const size = Math.min(MAX_BLOCK, FIRST_BLOCK * 2 ** Math.min(this.blocks.length, 10));
            const bytes = Buffer.from(new ArrayBuffer(Math.max(size, wordCount * 4)));
            this.blocks.push(bytes);
            this.blockWords.push(new Int32Array(bytes.buffer));
            this.used = 0;
            block += 1;
        }
        const first = this.used / 4;
        const words = this.blockWords[block];
        const scratch = this.scratchWords;
        for (let i = 0; i < wordCount; i++)
            words[first + i] = scratch[i];
        this.starts[index] = block * BLOCK_SHIFT + this.used;
        this.lengths[index] = length;
        this.used += wordCount * 4;
        this.hashes[index] = hash;
        this.slots[slot] = index;
        if (this.count * 2 > this.slots.length)
            this.rehash();
        return index;
    }
    /** Takes the next index (with no bytes so far). */
    reserve() {
        const index = this.count++;
        if (index >= this.starts.length) {
            const starts = new Float64Array(this.starts.length * 2);
            starts.set(this.starts);
            this.starts = starts;
            const lengths = new Uint32Array(this.lengths.length * 2);
            lengths.set(this.lengths);
            this.lengths = lengths;
            const hashes = new Int32Array(this.hashes.length * 2);
            hashes.set(this.hashes);
            this.hashes = hashes;
        }
        this.starts[index] = 0;
        this.lengths[index] = 0;
        return index;
    }
    internOdd(id) {
        let index = this.oddIds.get(id);
        if (index === undefined) {
            index = this.reserve();
            // Never found through the hash table: no slot points to it.
            this.hashes[index] = 0;
            this.oddIds.set(id, index);
            this.oddStrings.set(index, id);
        }
        return index;
    }
    rehash() {
        const size = this.slots.length * 2;
        const slots = new Int32Array(size).fill(EMPTY$1);
        const mask = size - 1;
        const odd = this.oddStrings;
        for (let index = 0; index < this.count; index++) {
            if (odd.size > 0 && odd.has(index))
                continue;
            let slot = this.hashes[index] & mask;
            while (slots[slot] !== EMPTY$1)
                slot = (slot + 1) & mask;
            slots[slot] = index;
        }
        this.slots = slots;
        this.mask = mask;
    }
    growScratch(bytes) {
        let size = this.scratch.length;
        while (size < bytes)
            size *= 2;
        this.scratch = Buffer.from(new ArrayBuffer(size));
        this.scratchWords = new Int32Array(this.scratch.buffer);
    }
}

var saxes = {};

var ed5 = {};

var hasRequiredEd5;

function requireEd5 () {
	if (hasRequiredEd5) return ed5;
	hasRequiredEd5 = 1;
	(function (exports) {
		/**
		 * Character classes and associated utilities for the 5th edition of XML 1.0.
		 *
		 * @author Louis-Dominique Dubeau
		 * @license MIT
		 * @copyright Louis-Dominique Dubeau
		 */
		Object.defineProperty(exports, "__esModule", { value: true });
		//
		// Fragments.
		//
		exports.CHAR = "\t\n\r -\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF";
		exports.S = " \t\r\n";
		// tslint:disable-next-line:max-line-length
		exports.NAME_START_CHAR = ":A-Z_a-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\uD800\uDC00-\uDB7F\uDFFF";
		exports.NAME_CHAR = "-" + exports.NAME_START_CHAR + ".0-9\u00B7\u0300-\u036F\u203F-\u2040";
		//
		// Regular expressions.
		//
		exports.CHAR_RE = new RegExp("^[" + exports.CHAR + "]$", "u");
		exports.S_RE = new RegExp("^[" + exports.S + "]+$", "u");
		exports.NAME_START_CHAR_RE = new RegExp("^[" + exports.NAME_START_CHAR + "]$", "u");
		exports.NAME_CHAR_RE = new RegExp("^[" + exports.NAME_CHAR + "]$", "u");
		exports.NAME_RE = new RegExp("^[" + exports.NAME_START_CHAR + "][" + exports.NAME_CHAR + "]*$", "u");
		exports.NMTOKEN_RE = new RegExp("^[" + exports.NAME_CHAR + "]+$", "u");
		var TAB = 9;
		var NL = 0xA;
		var CR = 0xD;
		var SPACE = 0x20;
		//
		// Lists.
		//
		/** All characters in the ``S`` production. */
		exports.S_LIST = [SPACE, NL, CR, TAB];
		/**
		 * Determines whether a codepoint matches the ``CHAR`` production.
		 *
		 * @param c The code point.
		 *
		 * @returns ``true`` if the codepoint matches ``CHAR``.
		 */
		function isChar(c) {
		    return (c >= SPACE && c <= 0xD7FF) ||
		        c === NL || c === CR || c === TAB ||
		        (c >= 0xE000 && c <= 0xFFFD) ||
		        (c >= 0x10000 && c <= 0x10FFFF);
		}
		exports.isChar = isChar;
		/**
		 * Determines whether a codepoint matches the ``S`` (space) production.
		 *
		 * @param c The code point.
		 *
		 * @returns ``true`` if the codepoint matches ``S``.
		 */
		function isS(c) {
		    return c === SPACE || c === NL || c === CR || c === TAB;
		}
		exports.isS = isS;
		/**
		 * Determines whether a codepoint matches the ``NAME_START_CHAR`` production.
		 *
		 * @param c The code point.
		 *
		 * @returns ``true`` if the codepoint matches ``NAME_START_CHAR``.
		 */
		function isNameStartChar(c) {
		    return ((c >= 0x41 && c <= 0x5A) ||
		        (c >= 0x61 && c <= 0x7A) ||
		        c === 0x3A ||
		        c === 0x5F ||
		        c === 0x200C ||
		        c === 0x200D ||
		        (c >= 0xC0 && c <= 0xD6) ||
		        (c >= 0xD8 && c <= 0xF6) ||
		        (c >= 0x00F8 && c <= 0x02FF) ||
		        (c >= 0x0370 && c <= 0x037D) ||
		        (c >= 0x037F && c <= 0x1FFF) ||
		        (c >= 0x2070 && c <= 0x218F) ||
		        (c >= 0x2C00 && c <= 0x2FEF) ||
		        (c >= 0x3001 && c <= 0xD7FF) ||
		        (c >= 0xF900 && c <= 0xFDCF) ||
		        (c >= 0xFDF0 && c <= 0xFFFD) ||
		        (c >= 0x10000 && c <= 0xEFFFF));
		}
		exports.isNameStartChar = isNameStartChar;
		/**
		 * Determines whether a codepoint matches the ``NAME_CHAR`` production.
		 *
		 * @param c The code point.
		 *
		 * @returns ``true`` if the codepoint matches ``NAME_CHAR``.
		 */
		function isNameChar(c) {
		    return isNameStartChar(c) ||
		        (c >= 0x30 && c <= 0x39) ||
		        c === 0x2D ||
		        c === 0x2E ||
		        c === 0xB7 ||
		        (c >= 0x0300 && c <= 0x036F) ||
		        (c >= 0x203F && c <= 0x2040);
		}
		exports.isNameChar = isNameChar;
		
	} (ed5));
	return ed5;
}

var ed2 = {};

var hasRequiredEd2;

function requireEd2 () {
	if (hasRequiredEd2) return ed2;
	hasRequiredEd2 = 1;
	(function (exports) {
		/**
		 * Character classes and associated utilities for the 2nd edition of XML 1.1.
		 *
		 * @author Louis-Dominique Dubeau
		 * @license MIT
		 * @copyright Louis-Dominique Dubeau
		 */
		Object.defineProperty(exports, "__esModule", { value: true });
		//
		// Fragments.
		//
		exports.CHAR = "\u0001-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF";
		exports.RESTRICTED_CHAR = "\u0001-\u0008\u000B\u000C\u000E-\u001F\u007F-\u0084\u0086-\u009F";
		exports.S = " \t\r\n";
		// tslint:disable-next-line:max-line-length
		exports.NAME_START_CHAR = ":A-Z_a-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\uD800\uDC00-\uDB7F\uDFFF";
		exports.NAME_CHAR = "-" + exports.NAME_START_CHAR + ".0-9\u00B7\u0300-\u036F\u203F-\u2040";
		//
		// Regular expressions.
		//
		exports.CHAR_RE = new RegExp("^[" + exports.CHAR + "]$", "u");
		exports.RESTRICTED_CHAR_RE = new RegExp("^[" + exports.RESTRICTED_CHAR + "]$", "u");
		exports.S_RE = new RegExp("^[" + exports.S + "]+$", "u");
		exports.NAME_START_CHAR_RE = new RegExp("^[" + exports.NAME_START_CHAR + "]$", "u");
		exports.NAME_CHAR_RE = new RegExp("^[" + exports.NAME_CHAR + "]$", "u");
		exports.NAME_RE = new RegExp("^[" + exports.NAME_START_CHAR + "][" + exports.NAME_CHAR + "]*$", "u");
		exports.NMTOKEN_RE = new RegExp("^[" + exports.NAME_CHAR + "]+$", "u");
		var TAB = 9;
		var NL = 0xA;
		var CR = 0xD;
		var SPACE = 0x20;
		//
		// Lists.
		//
		/** All characters in the ``S`` production. */
		exports.S_LIST = [SPACE, NL, CR, TAB];
		/**
		 * Determines whether a codepoint matches the ``CHAR`` production.
		 *
		 * @param c The code point.
		 *
		 * @returns ``true`` if the codepoint matches ``CHAR``.
		 */
		function isChar(c) {
		    return (c >= 0x0001 && c <= 0xD7FF) ||
		        (c >= 0xE000 && c <= 0xFFFD) ||
		        (c >= 0x10000 && c <= 0x10FFFF);
		}
		exports.isChar = isChar;
		/**
		 * Determines whether a codepoint matches the ``RESTRICTED_CHAR`` production.
		 *
		 * @param c The code point.
		 *
		 * @returns ``true`` if the codepoint matches ``RESTRICTED_CHAR``.
		 */
		function isRestrictedChar(c) {
		    return (c >= 0x1 && c <= 0x8) ||
		        c === 0xB ||
		        c === 0xC ||
		        (c >= 0xE && c <= 0x1F) ||
		        (c >= 0x7F && c <= 0x84) ||
		        (c >= 0x86 && c <= 0x9F);
		}
		exports.isRestrictedChar = isRestrictedChar;
		/**
		 * Determines whether a codepoint matches the ``CHAR`` production and does not
		 * match the ``RESTRICTED_CHAR`` production. ``isCharAndNotRestricted(x)`` is
		 * equivalent to ``isChar(x) && !isRestrictedChar(x)``. This function is faster
		 * than running the two-call equivalent.
		 *
		 * @param c The code point.
		 *
		 * @returns ``true`` if the codepoint matches ``CHAR`` and does not match
		 * ``RESTRICTED_CHAR``.
		 */
		function isCharAndNotRestricted(c) {
		    return (c === 0x9) ||
		        (c === 0xA) ||
		        (c === 0xD) ||
		        (c > 0x1F && c < 0x7F) ||
		        (c === 0x85) ||
		        (c > 0x9F && c <= 0xD7FF) ||
		        (c >= 0xE000 && c <= 0xFFFD) ||
		        (c >= 0x10000 && c <= 0x10FFFF);
		}
		exports.isCharAndNotRestricted = isCharAndNotRestricted;
		/**
		 * Determines whether a codepoint matches the ``S`` (space) production.
		 *
		 * @param c The code point.
		 *
		 * @returns ``true`` if the codepoint matches ``S``.
		 */
		function isS(c) {
		    return c === SPACE || c === NL || c === CR || c === TAB;
		}
		exports.isS = isS;
		/**
		 * Determines whether a codepoint matches the ``NAME_START_CHAR`` production.
		 *
		 * @param c The code point.
		 *
		 * @returns ``true`` if the codepoint matches ``NAME_START_CHAR``.
		 */
		// tslint:disable-next-line:cyclomatic-complexity
		function isNameStartChar(c) {
		    return ((c >= 0x41 && c <= 0x5A) ||
		        (c >= 0x61 && c <= 0x7A) ||
		        c === 0x3A ||
		        c === 0x5F ||
		        c === 0x200C ||
		        c === 0x200D ||
		        (c >= 0xC0 && c <= 0xD6) ||
		        (c >= 0xD8 && c <= 0xF6) ||
		        (c >= 0x00F8 && c <= 0x02FF) ||
		        (c >= 0x0370 && c <= 0x037D) ||
		        (c >= 0x037F && c <= 0x1FFF) ||
		        (c >= 0x2070 && c <= 0x218F) ||
		        (c >= 0x2C00 && c <= 0x2FEF) ||
		        (c >= 0x3001 && c <= 0xD7FF) ||
		        (c >= 0xF900 && c <= 0xFDCF) ||
		        (c >= 0xFDF0 && c <= 0xFFFD) ||
		        (c >= 0x10000 && c <= 0xEFFFF));
		}
		exports.isNameStartChar = isNameStartChar;
		/**
		 * Determines whether a codepoint matches the ``NAME_CHAR`` production.
		 *
		 * @param c The code point.
		 *
		 * @returns ``true`` if the codepoint matches ``NAME_CHAR``.
		 */
		function isNameChar(c) {
		    return isNameStartChar(c) ||
		        (c >= 0x30 && c <= 0x39) ||
		        c === 0x2D ||
		        c === 0x2E ||
		        c === 0xB7 ||
		        (c >= 0x0300 && c <= 0x036F) ||
		        (c >= 0x203F && c <= 0x2040);
		}
		exports.isNameChar = isNameChar;
		
	} (ed2));
	return ed2;
}

var ed3 = {};

var hasRequiredEd3;

function requireEd3 () {
	if (hasRequiredEd3) return ed3;
	hasRequiredEd3 = 1;
	(function (exports) {
		/**
		 * Character class utilities for XML NS 1.0 edition 3.
		 *
		 * @author Louis-Dominique Dubeau
		 * @license MIT
		 * @copyright Louis-Dominique Dubeau
		 */
		Object.defineProperty(exports, "__esModule", { value: true });
		//
		// Fragments.
		//
		// tslint:disable-next-line:max-line-length
		exports.NC_NAME_START_CHAR = "A-Z_a-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\uD800\uDC00-\uDB7F\uDFFF";
		exports.NC_NAME_CHAR = "-" + exports.NC_NAME_START_CHAR + ".0-9\u00B7\u0300-\u036F\u203F-\u2040";
		//
		// Regular expressions.
		//
		exports.NC_NAME_START_CHAR_RE = new RegExp("^[" + exports.NC_NAME_START_CHAR + "]$", "u");
		exports.NC_NAME_CHAR_RE = new RegExp("^[" + exports.NC_NAME_CHAR + "]$", "u");
		exports.NC_NAME_RE = new RegExp("^[" + exports.NC_NAME_START_CHAR + "][" + exports.NC_NAME_CHAR + "]*$", "u");
		/**
		 * Determines whether a codepoint matches [[NC_NAME_START_CHAR]].
		 *
		 * @param c The code point.
		 *
		 * @returns ``true`` if the codepoint matches.
		 */
		// tslint:disable-next-line:cyclomatic-complexity
		function isNCNameStartChar(c) {
		    return ((c >= 0x41 && c <= 0x5A) ||
		        c === 0x5F ||
		        (c >= 0x61 && c <= 0x7A) ||
		        (c >= 0xC0 && c <= 0xD6) ||
		        (c >= 0xD8 && c <= 0xF6) ||
		        (c >= 0x00F8 && c <= 0x02FF) ||
		        (c >= 0x0370 && c <= 0x037D) ||
		        (c >= 0x037F && c <= 0x1FFF) ||
		        (c >= 0x200C && c <= 0x200D) ||
		        (c >= 0x2070 && c <= 0x218F) ||
		        (c >= 0x2C00 && c <= 0x2FEF) ||
		        (c >= 0x3001 && c <= 0xD7FF) ||
		        (c >= 0xF900 && c <= 0xFDCF) ||
		        (c >= 0xFDF0 && c <= 0xFFFD) ||
		        (c >= 0x10000 && c <= 0xEFFFF));
		}
		exports.isNCNameStartChar = isNCNameStartChar;
		/**
		 * Determines whether a codepoint matches [[NC_NAME_CHAR]].
		 *
		 * @param c The code point.
		 *
		 * @returns ``true`` if the codepoint matches.
		 */
		function isNCNameChar(c) {
		    return isNCNameStartChar(c) ||
		        (c === 0x2D ||
		            c === 0x2E ||
		            (c >= 0x30 && c <= 0x39) ||
		            c === 0x00B7 ||
		            (c >= 0x0300 && c <= 0x036F) ||
		            (c >= 0x203F && c <= 0x2040));
		}
		exports.isNCNameChar = isNCNameChar;
		
	} (ed3));
	return ed3;
}

var hasRequiredSaxes;

function requireSaxes () {
	if (hasRequiredSaxes) return saxes;
	hasRequiredSaxes = 1;
	Object.defineProperty(saxes, "__esModule", { value: true });
	saxes.SaxesParser = saxes.EVENTS = void 0;
	const ed5 = requireEd5();
	const ed2 = requireEd2();
	const NSed3 = requireEd3();
	var isS = ed5.isS;
	var isChar10 = ed5.isChar;
	var isNameStartChar = ed5.isNameStartChar;
	var isNameChar = ed5.isNameChar;
	var S_LIST = ed5.S_LIST;
	var NAME_RE = ed5.NAME_RE;
	var isChar11 = ed2.isChar;
	var isNCNameStartChar = NSed3.isNCNameStartChar;
	var isNCNameChar = NSed3.isNCNameChar;
	var NC_NAME_RE = NSed3.NC_NAME_RE;
	const XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace";
	const XMLNS_NAMESPACE = "http://www.w3.org/2000/xmlns/";
	const rootNS = {
	    // eslint-disable-next-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment
	    __proto__: null,
	    xml: XML_NAMESPACE,
	    xmlns: XMLNS_NAMESPACE,
	};
	const XML_ENTITIES = {
	    // eslint-disable-next-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment
	    __proto__: null,
	    amp: "&",
	    gt: ">",
	    lt: "<",
	    quot: "\"",
	    apos: "'",
	};
	// EOC: end-of-chunk
	const EOC = -1;
	const NL_LIKE = -2;
	const S_BEGIN = 0; // Initial state.
	const S_BEGIN_WHITESPACE = 1; // leading whitespace
	const S_DOCTYPE = 2; // <!DOCTYPE
	const S_DOCTYPE_QUOTE = 3; // <!DOCTYPE "//blah
	const S_DTD = 4; // <!DOCTYPE "//blah" [ ...
	const S_DTD_QUOTED = 5; // <!DOCTYPE "//blah" [ "foo
	const S_DTD_OPEN_WAKA = 6;
	const S_DTD_OPEN_WAKA_BANG = 7;
	const S_DTD_COMMENT = 8; // <!--
	const S_DTD_COMMENT_ENDING = 9; // <!-- blah -
	const S_DTD_COMMENT_ENDED = 10; // <!-- blah --
	const S_DTD_PI = 11; // <?
	const S_DTD_PI_ENDING = 12; // <?hi "there" ?
	const S_TEXT = 13; // general stuff
	const S_ENTITY = 14; // &amp and such
	const S_OPEN_WAKA = 15; // <
	const S_OPEN_WAKA_BANG = 16; // <!...
	const S_COMMENT = 17; // <!--
	const S_COMMENT_ENDING = 18; // <!-- blah -
	const S_COMMENT_ENDED = 19; // <!-- blah --
	const S_CDATA = 20; // <![CDATA[ something
	const S_CDATA_ENDING = 21; // ]
	const S_CDATA_ENDING_2 = 22; // ]]
	const S_PI_FIRST_CHAR = 23; // <?hi, first char
	const S_PI_REST = 24; // <?hi, rest of the name
	const S_PI_BODY = 25; // <?hi there
	const S_PI_ENDING = 26; // <?hi "there" ?
	const S_XML_DECL_NAME_START = 27; // <?xml
	const S_XML_DECL_NAME = 28; // <?xml foo
	const S_XML_DECL_EQ = 29; // <?xml foo=
	const S_XML_DECL_VALUE_START = 30; // <?xml foo=
	const S_XML_DECL_VALUE = 31; // <?xml foo="bar"
	const S_XML_DECL_SEPARATOR = 32; // <?xml foo="bar"
	const S_XML_DECL_ENDING = 33; // <?xml ... ?
	const S_OPEN_TAG = 34; // <strong
	const S_OPEN_TAG_SLASH = 35; // <strong /
	const S_ATTRIB = 36; // <a
	const S_ATTRIB_NAME = 37; // <a foo
	const S_ATTRIB_NAME_SAW_WHITE = 38; // <a foo _
	const S_ATTRIB_VALUE = 39; // <a foo=
	const S_ATTRIB_VALUE_QUOTED = 40; // <a foo="bar
	const S_ATTRIB_VALUE_CLOSED = 41; // <a foo="bar"
	const S_ATTRIB_VALUE_UNQUOTED = 42; // <a foo=bar
	const S_CLOSE_TAG = 43; // </a
	const S_CLOSE_TAG_SAW_WHITE = 44; // </a   >
	const TAB = 9;
	const NL = 0xA;
	const CR = 0xD;
	const SPACE = 0x20;
	const BANG = 0x21;
	const DQUOTE = 0x22;
	const AMP = 0x26;
	const SQUOTE = 0x27;
	const MINUS = 0x2D;
	const FORWARD_SLASH = 0x2F;
	const SEMICOLON = 0x3B;
	const LESS = 0x3C;
	const EQUAL = 0x3D;
	const GREATER = 0x3E;
	const QUESTION = 0x3F;
	const OPEN_BRACKET = 0x5B;
	const CLOSE_BRACKET = 0x5D;
	const NEL = 0x85;
	const LS = 0x2028; // Line Separator
	const isQuote = (c) => c === DQUOTE || c === SQUOTE;
	const QUOTES = [DQUOTE, SQUOTE];
	const DOCTYPE_TERMINATOR = [...QUOTES, OPEN_BRACKET, GREATER];
	const DTD_TERMINATOR = [...QUOTES, LESS, CLOSE_BRACKET];
	const XML_DECL_NAME_TERMINATOR = [EQUAL, QUESTION, ...S_LIST];
	const ATTRIB_VALUE_UNQUOTED_TERMINATOR = [...S_LIST, GREATER, AMP, LESS];
	function nsPairCheck(parser, prefix, uri) {
	    switch (prefix) {
	        case "xml":
	            if (uri !== XML_NAMESPACE) {
	                parser.fail(`xml prefix must be bound to ${XML_NAMESPACE}.`);
	            }
	            break;
	        case "xmlns":
	            if (uri !== XMLNS_NAMESPACE) {
	                parser.fail(`xmlns prefix must be bound to ${XMLNS_NAMESPACE}.`);
	            }
	            break;
	    }
	    switch (uri) {
	        case XMLNS_NAMESPACE:
	            parser.fail(prefix === "" ?
	                `the default namespace may not be set to ${uri}.` :
	                `may not assign a prefix (even "xmlns") to the URI \
${XMLNS_NAMESPACE}.`);
	            break;
	        case XML_NAMESPACE:
	            switch (prefix) {
	                case "xml":
	                    // Assinging the XML namespace to "xml" is fine.
	                    break;
	                case "":
	                    parser.fail(`the default namespace may not be set to ${uri}.`);
	                    break;
	                default:
	                    parser.fail("may not assign the xml namespace to another prefix.");
	            }
	            break;
	    }
	}
	function nsMappingCheck(parser, mapping) {
	    for (const local of Object.keys(mapping)) {
	        nsPairCheck(parser, local, mapping[local]);
	    }
	}
	const isNCName = (name) => NC_NAME_RE.test(name);
	const isName = (name) => NAME_RE.test(name);
	const FORBIDDEN_START = 0;
	const FORBIDDEN_BRACKET = 1;
	const FORBIDDEN_BRACKET_BRACKET = 2;
	/**
	 * The list of supported events.
	 */
	saxes.EVENTS = [
	    "xmldecl",
	    "text",
	    "processinginstruction",
	    "doctype",
	    "comment",
	    "opentagstart",
	    "attribute",
	    "opentag",
	    "closetag",
	    "cdata",
	    "error",
	    "end",
	    "ready",
	];
	const EVENT_NAME_TO_HANDLER_NAME = {
	    xmldecl: "xmldeclHandler",
	    text: "textHandler",
	    processinginstruction: "piHandler",
	    doctype: "doctypeHandler",
	    comment: "commentHandler",
	    opentagstart: "openTagStartHandler",
	    attribute: "attributeHandler",
	    opentag: "openTagHandler",
	    closetag: "closeTagHandler",
	    cdata: "cdataHandler",
	    error: "errorHandler",
	    end: "endHandler",
	    ready: "readyHandler",
	};
	// eslint-disable-next-line @typescript-eslint/ban-types
	class SaxesParser {
	    /**
	     * @param opt The parser options.
	     */
	    constructor(opt) {
	        this.opt = opt !== null && opt !== void 0 ? opt : {};
	        this.fragmentOpt = !!this.opt.fragment;
	        const xmlnsOpt = this.xmlnsOpt = !!this.opt.xmlns;
	        this.trackPosition = this.opt.position !== false;
	        this.fileName = this.opt.fileName;
	        if (xmlnsOpt) {
	            // This is the function we use to perform name checks on PIs and entities.
	            // When namespaces are used, colons are not allowed in PI target names or
	            // entity names. So the check depends on whether namespaces are used. See:
	            //
	            // https://www.w3.org/XML/xml-names-19990114-errata.html
	            // NE08
	            //
	            this.nameStartCheck = isNCNameStartChar;
	            this.nameCheck = isNCNameChar;
	            this.isName = isNCName;
	            // eslint-disable-next-line @typescript-eslint/unbound-method
	            this.processAttribs = this.processAttribsNS;
	            // eslint-disable-next-line @typescript-eslint/unbound-method
	            this.pushAttrib = this.pushAttribNS;
	            // eslint-disable-next-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment
	            this.ns = Object.assign({ __proto__: null }, rootNS);
	            const additional = this.opt.additionalNamespaces;
	            if (additional != null) {
	                nsMappingCheck(this, additional);
	                Object.assign(this.ns, additional);
	            }
	        }
	        else {
	            this.nameStartCheck = isNameStartChar;
	            this.nameCheck = isNameChar;
	            this.isName = isName;
	            // eslint-disable-next-line @typescript-eslint/unbound-method
	            this.processAttribs = this.processAttribsPlain;
	            // eslint-disable-next-line @typescript-eslint/unbound-method
	            this.pushAttrib = this.pushAttribPlain;
	        }
	        //
	        // The order of the members in this table needs to correspond to the state
	        // numbers given to the states that correspond to the methods being recorded
	        // here.
	        //
	        this.stateTable = [
	            /* eslint-disable @typescript-eslint/unbound-method */
	            this.sBegin,
	            this.sBeginWhitespace,
	            this.sDoctype,
	            this.sDoctypeQuote,
	            this.sDTD,
	            this.sDTDQuoted,
	            this.sDTDOpenWaka,
	            this.sDTDOpenWakaBang,
	            this.sDTDComment,
	            this.sDTDCommentEnding,
	            this.sDTDCommentEnded,
	            this.sDTDPI,
	            this.sDTDPIEnding,
	            this.sText,
	            this.sEntity,
	            this.sOpenWaka,
	            this.sOpenWakaBang,
	            this.sComment,
	            this.sCommentEnding,
	            this.sCommentEnded,
	            this.sCData,
	            this.sCDataEnding,
	            this.sCDataEnding2,
	            this.sPIFirstChar,
	            this.sPIRest,
	            this.sPIBody,
	            this.sPIEnding,
	            this.sXMLDeclNameStart,
	            this.sXMLDeclName,
	            this.sXMLDeclEq,
	            this.sXMLDeclValueStart,
	            this.sXMLDeclValue,
	            this.sXMLDeclSeparator,
	            this.sXMLDeclEnding,
	            this.sOpenTag,
	            this.sOpenTagSlash,
	            this.sAttrib,
	            this.sAttribName,
	            this.sAttribNameSawWhite,
	            this.sAttribValue,
	            this.sAttribValueQuoted,
	            this.sAttribValueClosed,
	            this.sAttribValueUnquoted,
	            this.sCloseTag,
	            this.sCloseTagSawWhite,
	            /* eslint-enable @typescript-eslint/unbound-method */
	        ];
	        this._init();
	    }
	    /**
	     * Indicates whether or not the parser is closed. If ``true``, wait for
	     * the ``ready`` event to write again.
	     */
	    get closed() {
	        return this._closed;
	    }
	    _init() {
	        var _a;
	        this.openWakaBang = "";
	        this.text = "";
	        this.name = "";
	        this.piTarget = "";
	        this.entity = "";
	        this.q = null;
	        this.tags = [];
	        this.tag = null;
	        this.topNS = null;
	        this.chunk = "";
	        this.chunkPosition = 0;
	        this.i = 0;
	        this.prevI = 0;
	        this.carriedFromPrevious = undefined;
	        this.forbiddenState = FORBIDDEN_START;
	        this.attribList = [];
	        // The logic is organized so as to minimize the need to check
	        // this.opt.fragment while parsing.
	        const { fragmentOpt } = this;
	        this.state = fragmentOpt ? S_TEXT : S_BEGIN;
	        // We want these to be all true if we are dealing with a fragment.
	        this.reportedTextBeforeRoot = this.reportedTextAfterRoot = this.closedRoot =
	            this.sawRoot = fragmentOpt;
	        // An XML declaration is intially possible only when parsing whole
	        // documents.
	        this.xmlDeclPossible = !fragmentOpt;
	        this.xmlDeclExpects = ["version"];
	        this.entityReturnState = undefined;
	        let { defaultXMLVersion } = this.opt;
	        if (defaultXMLVersion === undefined) {
	            if (this.opt.forceXMLVersion === true) {
	                throw new Error("forceXMLVersion set but defaultXMLVersion is not set");
	            }
	            defaultXMLVersion = "1.0";
	        }
	        this.setXMLVersion(defaultXMLVersion);
	        this.positionAtNewLine = 0;
	        this.doctype = false;
	        this._closed = false;
	        this.xmlDecl = {
	            version: undefined,
	            encoding: undefined,
	            standalone: undefined,
	        };
	        this.line = 1;
	        this.column = 0;
	        this.ENTITIES = Object.create(XML_ENTITIES);
	        (_a = this.readyHandler) === null || _a === void 0 ? void 0 : _a.call(this);
	    }
	    /**
	     * The stream position the parser is currently looking at. This field is
	     * zero-based.
	     *
	     * This field is not based on counting Unicode characters but is to be
	     * interpreted as a plain index into a JavaScript string.
	     */
	    get position() {
	        return this.chunkPosition + this.i;
	    }
	    /**
	     * The column number of the next character to be read by the parser.  *
	     * This field is zero-based. (The first column in a line is 0.)
	     *
	     * This field reports the index at which the next character would be in the
	     * line if the line were represented as a JavaScript string.  Note that this
	     * *can* be different to a count based on the number of *Unicode characters*
	     * due to how JavaScript handles astral plane characters.
	     *
	     * See [[column]] for a number that corresponds to a count of Unicode
	     * characters.
	     */
	    get columnIndex() {
	        return this.position - this.positionAtNewLine;
	    }
	    /**
	     * Set an event listener on an event. The parser supports one handler per
	     * event type. If you try to set an event handler over an existing handler,
	     * the old handler is silently overwritten.
	     *
	     * @param name The event to listen to.
	     *
	     * @param handler The handler to set.
	     */
	    on(name, handler) {
	        // eslint-disable-next-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access
	        this[EVENT_NAME_TO_HANDLER_NAME[name]] = handler;
	    }
	    /**
	     * Unset an event handler.
	     *
	     * @parma name The event to stop listening to.
	     */
	    off(name) {
	        // eslint-disable-next-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access
	        this[EVENT_NAME_TO_HANDLER_NAME[name]] = undefined;
	    }
	    /**
	     * Make an error object. The error object will have a message that contains
	     * the ``fileName`` option passed at the creation of the parser. If position
	     * tracking was turned on, it will also have line and column number
	     * information.
	     *
	     * @param message The message describing the error to report.
	     *
	     * @returns An error object with a properly formatted message.
	     */
	    makeError(message) {
	        var _a;
	        let msg = (_a = this.fileName) !== null && _a !== void 0 ? _a : "";
	        if (this.trackPosition) {
	            if (msg.length > 0) {
	                msg += ":";
	            }
	            msg += `${this.line}:${this.column}`;
	        }
	        if (msg.length > 0) {
	            msg += ": ";
	        }
	        return new Error(msg + message);
	    }
	    /**
	     * Report a parsing error. This method is made public so that client code may
	     * check for issues that are outside the scope of this project and can report
	     * errors.
	     *
	     * @param message The error to report.
	     *
	     * @returns this
	     */
	    fail(message) {
	        const err = this.makeError(message);
	        const handler = this.errorHandler;
	        if (handler === undefined) {
	            throw err;
	        }
	        else {
	            handler(err);
	        }
	        return this;
	    }
	    /**
	     * Write a XML data to the parser.
	     *
	     * @param chunk The XML data to write.
	     *
	     * @returns this
	     */
	    // We do need object for the type here. Yes, it often causes problems
	    // but not in this case.
	    write(chunk) {
	        if (this.closed) {
	            return this.fail("cannot write after close; assign an onready handler.");
	        }
	        let end = false;
	        if (chunk === null) {
	            // We cannot return immediately because carriedFromPrevious may need
	            // processing.
	            end = true;
	            chunk = "";
	        }
	        else if (typeof chunk === "object") {
	            chunk = chunk.toString();
	        }
	        // We checked if performing a pre-decomposition of the string into an array
	        // of single complete characters (``Array.from(chunk)``) would be faster
	        // than the current repeated calls to ``charCodeAt``. As of August 2018, it
	        // isn't. (There may be Node-specific code that would perform faster than
	        // ``Array.from`` but don't want to be dependent on Node.)
	        if (this.carriedFromPrevious !== undefined) {
	            // The previous chunk had char we must carry over.
	            chunk = `${this.carriedFromPrevious}${chunk}`;
	            this.carriedFromPrevious = undefined;
	        }
	        let limit = chunk.length;
	        const lastCode = chunk.charCodeAt(limit - 1);
	        if (!end &&
	            // A trailing CR or surrogate must be carried over to the next
	            // chunk.
	            (lastCode === CR || (lastCode >= 0xD800 && lastCode <= 0xDBFF))) {
	            // The chunk ends with a character that must be carried over. We cannot
	            // know how to handle it until we get the next chunk or the end of the
	            // stream. So save it for later.
	            this.carriedFromPrevious = chunk[limit - 1];
	            limit--;
	            chunk = chunk.slice(0, limit);
	        }
	        const { stateTable } = this;
	        this.chunk = chunk;
	        this.i = 0;
	        while (this.i < limit) {
	            // eslint-disable-next-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-argument
	            stateTable[this.state].call(this);
	        }
	        this.chunkPosition += limit;
	        return end ? this.end() : this;
	    }
	    /**
	     * Close the current stream. Perform final well-formedness checks and reset
	     * the parser tstate.
	     *
	     * @returns this
	     */
	    close() {
	        return this.write(null);
	    }
	    /**
	     * Get a single code point out of the current chunk. This updates the current
	     * position if we do position tracking.
	     *
	     * This is the algorithm to use for XML 1.0.
	     *
	     * @returns The character read.
	     */
	    getCode10() {
	        const { chunk, i } = this;
	        this.prevI = i;
	        // Yes, we do this instead of doing this.i++. Doing it this way, we do not
	        // read this.i again, which is a bit faster.
	        this.i = i + 1;
	        if (i >= chunk.length) {
	            return EOC;
	        }
	        // Using charCodeAt and handling the surrogates ourselves is faster
	        // than using codePointAt.
	        const code = chunk.charCodeAt(i);
	        this.column++;
	        if (code < 0xD800) {
	            if (code >= SPACE || code === TAB) {
	                return code;
	            }
	            switch (code) {
	                case NL:
	                    this.line++;
	                    this.column = 0;
	                    this.positionAtNewLine = this.position;
	                    return NL;
	                case CR:
	                    // We may get NaN if we read past the end of the chunk, which is fine.
	                    if (chunk.charCodeAt(i + 1) === NL) {
	                        // A \r\n sequence is converted to \n so we have to skip over the
	                        // next character. We already know it has a size of 1 so ++ is fine
	                        // here.
	                        this.i = i + 2;
	                    }
	                    // Otherwise, a \r is just converted to \n, so we don't have to skip
	                    // ahead.
	                    // In either case, \r becomes \n.
	                    this.line++;
	                    this.column = 0;
	                    this.positionAtNewLine = this.position;
	                    return NL_LIKE;
	                default:
	                    // If we get here, then code < SPACE and it is not NL CR or TAB.
	                    this.fail("disallowed character.");
	                    return code;
	            }
	        }
	        if (code > 0xDBFF) {
	            // This is a specialized version of isChar10 that takes into account
	            // that in this context code > 0xDBFF and code <= 0xFFFF. So it does not
	            // test cases that don't need testing.
	            if (!(code >= 0xE000 && code <= 0xFFFD)) {
	                this.fail("disallowed character.");
	            }
	            return code;
	        }
	        const final = 0x10000 + ((code - 0xD800) * 0x400) +
	            (chunk.charCodeAt(i + 1) - 0xDC00);
	        this.i = i + 2;
	        // This is a specialized version of isChar10 that takes into account that in
	        // this context necessarily final >= 0x10000.
	        if (final > 0x10FFFF) {
	            this.fail("disallowed character.");
	        }
	        return final;
	    }
	    /**
	     * Get a single code point out of the current chunk. This updates the current
	     * position if we do position tracking.
	     *
	     * This is the algorithm to use for XML 1.1.
	     *
	     * @returns {number} The character read.
	     */
	    getCode11() {
	        const { chunk, i } = this;
	        this.prevI = i;
	        // Yes, we do this instead of doing this.i++. Doing it this way, we do not
	        // read this.i again, which is a bit faster.
	        this.i = i + 1;
	        if (i >= chunk.length) {
	            return EOC;
	        }
	        // Using charCodeAt and handling the surrogates ourselves is faster
	        // than using codePointAt.
	        const code = chunk.charCodeAt(i);
	        this.column++;
	        if (code < 0xD800) {
	            if ((code > 0x1F && code < 0x7F) || (code > 0x9F && code !== LS) ||
	                code === TAB) {
	                return code;
	            }
	            switch (code) {
	                case NL: // 0xA
	                    this.line++;
	                    this.column = 0;
	                    this.positionAtNewLine = this.position;
	                    return NL;
	                case CR: { // 0xD
	                    // We may get NaN if we read past the end of the chunk, which is
	                    // fine.
	                    const next = chunk.charCodeAt(i + 1);
	                    if (next === NL || next === NEL) {
	                        // A CR NL or CR NEL sequence is converted to NL so we have to skip
	                        // over the next character. We already know it has a size of 1.
	                        this.i = i + 2;
	                    }
	                    // Otherwise, a CR is just converted to NL, no skip.
	                }
	                /* yes, fall through */
	                case NEL: // 0x85
	                case LS: // Ox2028
	                    this.line++;
	                    this.column = 0;
	                    this.positionAtNewLine = this.position;
	                    return NL_LIKE;
	                default:
	                    this.fail("disallowed character.");
	                    return code;
	            }
	        }
	        if (code > 0xDBFF) {
	            // This is a specialized version of isCharAndNotRestricted that takes into
	            // account that in this context code > 0xDBFF and code <= 0xFFFF. So it
	            // does not test cases that don't need testing.
	            if (!(code >= 0xE000 && code <= 0xFFFD)) {
	                this.fail("disallowed character.");
	            }
	            return code;
	        }
	        const final = 0x10000 + ((code - 0xD800) * 0x400) +
	            (chunk.charCodeAt(i + 1) - 0xDC00);
	        this.i = i + 2;
	        // This is a specialized version of isCharAndNotRestricted that takes into
	        // account that in this context necessarily final >= 0x10000.
	        if (final > 0x10FFFF) {
	            this.fail("disallowed character.");
	        }
	        return final;
	    }
	    /**
	     * Like ``getCode`` but with the return value normalized so that ``NL`` is
	     * returned for ``NL_LIKE``.
	     */
	    getCodeNorm() {
	        const c = this.getCode();
	        return c === NL_LIKE ? NL : c;
	    }
	    unget() {
	        this.i = this.prevI;
	        this.column--;
	    }
	    /**
	     * Capture characters into a buffer until encountering one of a set of
	     * characters.
	     *
	     * @param chars An array of codepoints. Encountering a character in the array
	     * ends the capture. (``chars`` may safely contain ``NL``.)
	     *
	     * @return The character code that made the capture end, or ``EOC`` if we hit
	     * the end of the chunk. The return value cannot be NL_LIKE: NL is returned
	     * instead.
	     */
	    captureTo(chars) {
	        let { i: start } = this;
	        const { chunk } = this;
	        // eslint-disable-next-line no-constant-condition
	        while (true) {
	            const c = this.getCode();
	            const isNLLike = c === NL_LIKE;
	            const final = isNLLike ? NL : c;
	            if (final === EOC || chars.includes(final)) {
	                this.text += chunk.slice(start, this.prevI);
	                return final;
	            }
	            if (isNLLike) {
	                this.text += `${chunk.slice(start, this.prevI)}\n`;
	                start = this.i;
	            }
	        }
	    }
	    /**
	     * Capture characters into a buffer until encountering a character.
	     *
	     * @param char The codepoint that ends the capture. **NOTE ``char`` MAY NOT
	     * CONTAIN ``NL``.** Passing ``NL`` will result in buggy behavior.
	     *
	     * @return ``true`` if we ran into the character. Otherwise, we ran into the
	     * end of the current chunk.
	     */
	    captureToChar(char) {
	        let { i: start } = this;
	        const { chunk } = this;
	        // eslint-disable-next-line no-constant-condition
	        while (true) {
	            let c = this.getCode();
	            switch (c) {
	                case NL_LIKE:
	                    this.text += `${chunk.slice(start, this.prevI)}\n`;
	                    start = this.i;
	                    c = NL;
	                    break;
	                case EOC:
	                    this.text += chunk.slice(start);
	                    return false;
	            }
	            if (c === char) {
	                this.text += chunk.slice(start, this.prevI);
	                return true;
	            }
	        }
	    }
	    /**
	     * Capture characters that satisfy ``isNameChar`` into the ``name`` field of
	     * this parser.
	     *
	     * @return The character code that made the test fail, or ``EOC`` if we hit
	     * the end of the chunk. The return value cannot be NL_LIKE: NL is returned
	     * instead.
	     */
	    captureNameChars() {
	        const { chunk, i: start } = this;
	        // eslint-disable-next-line no-constant-condition
	        while (true) {
	            const c = this.getCode();
	            if (c === EOC) {
	                this.name += chunk.slice(start);
	                return EOC;
	            }
	            // NL is not a name char so we don't have to test specifically for it.
	            if (!isNameChar(c)) {
	                this.name += chunk.slice(start, this.prevI);
	                return c === NL_LIKE ? NL : c;
	            }
	        }
	    }
	    /**
	     * Skip white spaces.
	     *
	     * @return The character that ended the skip, or ``EOC`` if we hit
	     * the end of the chunk. The return value cannot be NL_LIKE: NL is returned
	     * instead.
	     */
	    skipSpaces() {
	        // eslint-disable-next-line no-constant-condition
	        while (true) {
	            const c = this.getCodeNorm();
	            if (c === EOC || !isS(c)) {
	                return c;
	            }
	        }
	    }
	    setXMLVersion(version) {
	        this.currentXMLVersion = version;
	        /*  eslint-disable @typescript-eslint/unbound-method */
	        if (version === "1.0") {
	            this.isChar = isChar10;
	            this.getCode = this.getCode10;
	        }
	        else {
	            this.isChar = isChar11;
	            this.getCode = this.getCode11;
	        }
	        /* eslint-enable @typescript-eslint/unbound-method */
	    }
	    // STATE ENGINE METHODS
	    // This needs to be a state separate from S_BEGIN_WHITESPACE because we want
	    // to be sure never to come back to this state later.
	    sBegin() {
	        // We are essentially peeking at the first character of the chunk. Since
	        // S_BEGIN can be in effect only when we start working on the first chunk,
	        // the index at which we must look is necessarily 0. Note also that the
	        // following test does not depend on decoding surrogates.
	        // If the initial character is 0xFEFF, ignore it.
	        if (this.chunk.charCodeAt(0) === 0xFEFF) {
	            this.i++;
	            this.column++;
	        }
	        this.state = S_BEGIN_WHITESPACE;
	    }
	    sBeginWhitespace() {
	        // We need to know whether we've encountered spaces or not because as soon
	        // as we run into a space, an XML declaration is no longer possible. Rather
	        // than slow down skipSpaces even in places where we don't care whether it
	        // skipped anything or not, we check whether prevI is equal to the value of
	        // i from before we skip spaces.
	        const iBefore = this.i;
	        const c = this.skipSpaces();
	        if (this.prevI !== iBefore) {
	            this.xmlDeclPossible = false;
	        }
	        switch (c) {
	            case LESS:
	                this.state = S_OPEN_WAKA;
	                // We could naively call closeText but in this state, it is not normal
	                // to have text be filled with any data.
	                if (this.text.length !== 0) {
	                    throw new Error("no-empty text at start");
	                }
	                break;
	            case EOC:
	                break;
	            default:
	                this.unget();
	                this.state = S_TEXT;
	                this.xmlDeclPossible = false;
	        }
	    }
	    sDoctype() {
	        var _a;
	        const c = this.captureTo(DOCTYPE_TERMINATOR);
	        switch (c) {
	            case GREATER: {
	                (_a = this.doctypeHandler) === null || _a === void 0 ? void 0 : _a.call(this, this.text);
	                this.text = "";
	                this.state = S_TEXT;
	                this.doctype = true; // just remember that we saw it.
	                break;
	            }
	            case EOC:
	                break;
	            default:
	                this.text += String.fromCodePoint(c);
	                if (c === OPEN_BRACKET) {
	                    this.state = S_DTD;
	                }
	                else if (isQuote(c)) {
	                    this.state = S_DOCTYPE_QUOTE;
	                    this.q = c;
	                }
	        }
	    }
	    sDoctypeQuote() {
	        const q = this.q;
	        if (this.captureToChar(q)) {
	            this.text += String.fromCodePoint(q);
	            this.q = null;
	            this.state = S_DOCTYPE;
	        }
	    }
	    sDTD() {
	        const c = this.captureTo(DTD_TERMINATOR);
	        if (c === EOC) {
	            return;
	        }
	        this.text += String.fromCodePoint(c);
	        if (c === CLOSE_BRACKET) {
	            this.state = S_DOCTYPE;
	        }
	        else if (c === LESS) {
	            this.state = S_DTD_OPEN_WAKA;
	        }
	        else if (isQuote(c)) {
	            this.state = S_DTD_QUOTED;
	            this.q = c;
	        }
	    }
	    sDTDQuoted() {
	        const q = this.q;
	        if (this.captureToChar(q)) {
	            this.text += String.fromCodePoint(q);
	            this.state = S_DTD;
	            this.q = null;
	        }
	    }
	    sDTDOpenWaka() {
	        const c = this.getCodeNorm();
	        this.text += String.fromCodePoint(c);
	        switch (c) {
	            case BANG:
	                this.state = S_DTD_OPEN_WAKA_BANG;
	                this.openWakaBang = "";
	                break;
	            case QUESTION:
	                this.state = S_DTD_PI;
	                break;
	            default:
	                this.state = S_DTD;
	        }
	    }
	    sDTDOpenWakaBang() {
	        const char = String.fromCodePoint(this.getCodeNorm());
	        const owb = this.openWakaBang += char;
	        this.text += char;
	        if (owb !== "-") {
	            this.state = owb === "--" ? S_DTD_COMMENT : S_DTD;
	            this.openWakaBang = "";
	        }
	    }
	    sDTDComment() {
	        if (this.captureToChar(MINUS)) {
	            this.text += "-";
	            this.state = S_DTD_COMMENT_ENDING;
	        }
	    }
	    sDTDCommentEnding() {
	        const c = this.getCodeNorm();
	        this.text += String.fromCodePoint(c);
	        this.state = c === MINUS ? S_DTD_COMMENT_ENDED : S_DTD_COMMENT;
	    }
	    sDTDCommentEnded() {
	        const c = this.getCodeNorm();
	        this.text += String.fromCodePoint(c);
	        if (c === GREATER) {
	            this.state = S_DTD;
	        }
	        else {
	            this.fail("malformed comment.");
	            // <!-- blah -- bloo --> will be recorded as
	            // a comment of " blah -- bloo "
	            this.state = S_DTD_COMMENT;
	        }
	    }
	    sDTDPI() {
	        if (this.captureToChar(QUESTION)) {
	            this.text += "?";
	            this.state = S_DTD_PI_ENDING;
	        }
	    }
	    sDTDPIEnding() {
	        const c = this.getCodeNorm();
	        this.text += String.fromCodePoint(c);
	        if (c === GREATER) {
	            this.state = S_DTD;
	        }
	    }
	    sText() {
	        //
	        // We did try a version of saxes where the S_TEXT state was split in two
	        // states: one for text inside the root element, and one for text
	        // outside. This was avoiding having to test this.tags.length to decide
	        // what implementation to actually use.
	        //
	        // Peformance testing on gigabyte-size files did not show any advantage to
	        // using the two states solution instead of the current one. Conversely, it
	        // made the code a bit more complicated elsewhere. For instance, a comment
	        // can appear before the root element so when a comment ended it was
	        // necessary to determine whether to return to the S_TEXT state or to the
	        // new text-outside-root state.
	        //
	        if (this.tags.length !== 0) {
	            this.handleTextInRoot();
	        }
	        else {
	            this.handleTextOutsideRoot();
	        }
	    }
	    sEntity() {
	        // This is essentially a specialized version of captureToChar(SEMICOLON...)
	        let { i: start } = this;
	        const { chunk } = this;
	        // eslint-disable-next-line no-labels, no-restricted-syntax
	        loop: 
	        // eslint-disable-next-line no-constant-condition
	        while (true) {
	            switch (this.getCode()) {
	                case NL_LIKE:
	                    this.entity += `${chunk.slice(start, this.prevI)}\n`;
	                    start = this.i;
	                    break;
	                case SEMICOLON: {
	                    const { entityReturnState } = this;
	                    const entity = this.entity + chunk.slice(start, this.prevI);
	                    this.state = entityReturnState;
	                    let parsed;
	                    if (entity === "") {
	                        this.fail("empty entity name.");
	                        parsed = "&;";
	                    }
	                    else {
	                        parsed = this.parseEntity(entity);
	                        this.entity = "";
	                    }
	                    if (entityReturnState !== S_TEXT || this.textHandler !== undefined) {
	                        this.text += parsed;
	                    }
	                    // eslint-disable-next-line no-labels
	                    break loop;
	                }
	                case EOC:
	                    this.entity += chunk.slice(start);
	                    // eslint-disable-next-line no-labels
	                    break loop;
	            }
	        }
	    }
	    sOpenWaka() {
	        // Reminder: a state handler is called with at least one character
	        // available in the current chunk. So the first call to get code inside of
	        // a state handler cannot return ``EOC``. That's why we don't test
	        // for it.
	        const c = this.getCode();
	        // either a /, ?, !, or text is coming next.
	        if (isNameStartChar(c)) {
	            this.state = S_OPEN_TAG;
	            this.unget();
	            this.xmlDeclPossible = false;
	        }
	        else {
	            switch (c) {
	                case FORWARD_SLASH:
	                    this.state = S_CLOSE_TAG;
	                    this.xmlDeclPossible = false;
	                    break;
	                case BANG:
	                    this.state = S_OPEN_WAKA_BANG;
	                    this.openWakaBang = "";
	                    this.xmlDeclPossible = false;
	                    break;
	                case QUESTION:
	                    this.state = S_PI_FIRST_CHAR;
	                    break;
	                default:
	                    this.fail("disallowed character in tag name");
	                    this.state = S_TEXT;
	                    this.xmlDeclPossible = false;
	            }
	        }
	    }
	    sOpenWakaBang() {
	        this.openWakaBang += String.fromCodePoint(this.getCodeNorm());
	        switch (this.openWakaBang) {
	            case "[CDATA[":
	                if (!this.sawRoot && !this.reportedTextBeforeRoot) {
	                    this.fail("text data outside of root node.");
	                    this.reportedTextBeforeRoot = true;
	                }
	                if (this.closedRoot && !this.reportedTextAfterRoot) {
	                    this.fail("text data outside of root node.");
	                    this.reportedTextAfterRoot = true;
	                }
	                this.state = S_CDATA;
	                this.openWakaBang = "";
	                break;
	            case "--":
	                this.state = S_COMMENT;
	                this.openWakaBang = "";
	                break;
	            case "DOCTYPE":
	                this.state = S_DOCTYPE;
	                if (this.doctype || this.sawRoot) {
	                    this.fail("inappropriately located doctype declaration.");
	                }
	                this.openWakaBang = "";
	                break;
	            default:
	                // 7 happens to be the maximum length of the string that can possibly
	                // match one of the cases above.
	                if (this.openWakaBang.length >= 7) {
	                    this.fail("incorrect syntax.");
	                }
	        }
	    }
	    sComment() {
	        if (this.captureToChar(MINUS)) {
	            this.state = S_COMMENT_ENDING;
	        }
	    }
	    sCommentEnding() {
	        var _a;
	        const c = this.getCodeNorm();
	        if (c === MINUS) {
	            this.state = S_COMMENT_ENDED;
	            (_a = this.commentHandler) === null || _a === void 0 ? void 0 : _a.call(this, this.text);
	            this.text = "";
	        }
	        else {
	            this.text += `-${String.fromCodePoint(c)}`;
	            this.state = S_COMMENT;
	        }
	    }
	    sCommentEnded() {
	        const c = this.getCodeNorm();
	        if (c !== GREATER) {
	            this.fail("malformed comment.");
	            // <!-- blah -- bloo --> will be recorded as
	            // a comment of " blah -- bloo "
	            this.text += `--${String.fromCodePoint(c)}`;
	            this.state = S_COMMENT;
	        }
	        else {
	            this.state = S_TEXT;
	        }
	    }
	    sCData() {
	        if (this.captureToChar(CLOSE_BRACKET)) {
	            this.state = S_CDATA_ENDING;
	        }
	    }
	    sCDataEnding() {
	        const c = this.getCodeNorm();
	        if (c === CLOSE_BRACKET) {
	            this.state = S_CDATA_ENDING_2;
	        }
	        else {
	            this.text += `]${String.fromCodePoint(c)}`;
	            this.state = S_CDATA;
	        }
	    }
	    sCDataEnding2() {
	        var _a;
	        const c = this.getCodeNorm();
	        switch (c) {
	            case GREATER: {
	                (_a = this.cdataHandler) === null || _a === void 0 ? void 0 : _a.call(this, this.text);
	                this.text = "";
	                this.state = S_TEXT;
	                break;
	            }
	            case CLOSE_BRACKET:
	                this.text += "]";
	                break;
	            default:
	                this.text += `]]${String.fromCodePoint(c)}`;
	                this.state = S_CDATA;
	        }
	    }
	    // We need this separate state to check the first character fo the pi target
	    // with this.nameStartCheck which allows less characters than this.nameCheck.
	    sPIFirstChar() {
	        const c = this.getCodeNorm();
	        // This is first because in the case where the file is well-formed this is
	        // the branch taken. We optimize for well-formedness.
	        if (this.nameStartCheck(c)) {
	            this.piTarget += String.fromCodePoint(c);
	            this.state = S_PI_REST;
	        }
	        else if (c === QUESTION || isS(c)) {
	            this.fail("processing instruction without a target.");
	            this.state = c === QUESTION ? S_PI_ENDING : S_PI_BODY;
	        }
	        else {
	            this.fail("disallowed character in processing instruction name.");
	            this.piTarget += String.fromCodePoint(c);
	            this.state = S_PI_REST;
	        }
	    }
	    sPIRest() {
	        // Capture characters into a piTarget while ``this.nameCheck`` run on the
	        // character read returns true.
	        const { chunk, i: start } = this;
	        // eslint-disable-next-line no-constant-condition
	        while (true) {
	            const c = this.getCodeNorm();
	            if (c === EOC) {
	                this.piTarget += chunk.slice(start);
	                return;
	            }
	            // NL cannot satisfy this.nameCheck so we don't have to test specifically
	            // for it.
	            if (!this.nameCheck(c)) {
	                this.piTarget += chunk.slice(start, this.prevI);
	                const isQuestion = c === QUESTION;
	                if (isQuestion || isS(c)) {
	                    if (this.piTarget === "xml") {
	                        if (!this.xmlDeclPossible) {
	                            this.fail("an XML declaration must be at the start of the document.");
	                        }
	                        this.state = isQuestion ? S_XML_DECL_ENDING : S_XML_DECL_NAME_START;
	                    }
	                    else {
	                        this.state = isQuestion ? S_PI_ENDING : S_PI_BODY;
	                    }
	                }
	                else {
	                    this.fail("disallowed character in processing instruction name.");
	                    this.piTarget += String.fromCodePoint(c);
	                }
	                break;
	            }
	        }
	    }
	    sPIBody() {
	        if (this.text.length === 0) {
	            const c = this.getCodeNorm();
	            if (c === QUESTION) {
	                this.state = S_PI_ENDING;
	            }
	            else if (!isS(c)) {
	                this.text = String.fromCodePoint(c);
	            }
	        }
	        // The question mark character is not valid inside any of the XML
	        // declaration name/value pairs.
	        else if (this.captureToChar(QUESTION)) {
	            this.state = S_PI_ENDING;
	        }
	    }
	    sPIEnding() {
	        var _a;
	        const c = this.getCodeNorm();
	        if (c === GREATER) {
	            const { piTarget } = this;
	            if (piTarget.toLowerCase() === "xml") {
	                this.fail("the XML declaration must appear at the start of the document.");
	            }
	            (_a = this.piHandler) === null || _a === void 0 ? void 0 : _a.call(this, {
	                target: piTarget,
	                body: this.text,
	            });
	            this.piTarget = this.text = "";
	            this.state = S_TEXT;
	        }
	        else if (c === QUESTION) {
	            // We ran into ?? as part of a processing instruction. We initially took
	            // the first ? as a sign that the PI was ending, but it is not. So we have
	            // to add it to the body but we take the new ? as a sign that the PI is
	            // ending.
	            this.text += "?";
	        }
	        else {
	            this.text += `?${String.fromCodePoint(c)}`;
	            this.state = S_PI_BODY;
	        }
	        this.xmlDeclPossible = false;
	    }
	    sXMLDeclNameStart() {
	        const c = this.skipSpaces();
	        // The question mark character is not valid inside any of the XML
	        // declaration name/value pairs.
	        if (c === QUESTION) {
	            // It is valid to go to S_XML_DECL_ENDING from this state.
	            this.state = S_XML_DECL_ENDING;
	            return;
	        }
	        if (c !== EOC) {
	            this.state = S_XML_DECL_NAME;
	            this.name = String.fromCodePoint(c);
	        }
	    }
	    sXMLDeclName() {
	        const c = this.captureTo(XML_DECL_NAME_TERMINATOR);
	        // The question mark character is not valid inside any of the XML
	        // declaration name/value pairs.
	        if (c === QUESTION) {
	            this.state = S_XML_DECL_ENDING;
	            this.name += this.text;
	            this.text = "";
	            this.fail("XML declaration is incomplete.");
	            return;
	        }
	        if (!(isS(c) || c === EQUAL)) {
	            return;
	        }
	        this.name += this.text;
	        this.text = "";
	        if (!this.xmlDeclExpects.includes(this.name)) {
	            switch (this.name.length) {
	                case 0:
	                    this.fail("did not expect any more name/value pairs.");
	                    break;
	                case 1:
	                    this.fail(`expected the name ${this.xmlDeclExpects[0]}.`);
	                    break;
	                default:
	                    this.fail(`expected one of ${this.xmlDeclExpects.join(", ")}`);
	            }
	        }
	        this.state = c === EQUAL ? S_XML_DECL_VALUE_START : S_XML_DECL_EQ;
	    }
	    sXMLDeclEq() {
	        const c = this.getCodeNorm();
	        // The question mark character is not valid inside any of the XML
	        // declaration name/value pairs.
	        if (c === QUESTION) {
	            this.state = S_XML_DECL_ENDING;
	            this.fail("XML declaration is incomplete.");
	            return;
	        }
	        if (isS(c)) {
	            return;
	        }
	        if (c !== EQUAL) {
	            this.fail("value required.");
	        }
	        this.state = S_XML_DECL_VALUE_START;
	    }
	    sXMLDeclValueStart() {
	        const c = this.getCodeNorm();
	        // The question mark character is not valid inside any of the XML
	        // declaration name/value pairs.
	        if (c === QUESTION) {
	            this.state = S_XML_DECL_ENDING;
	            this.fail("XML declaration is incomplete.");
	            return;
	        }
	        if (isS(c)) {
	            return;
	        }
	        if (!isQuote(c)) {
	            this.fail("value must be quoted.");
	            this.q = SPACE;
	        }
	        else {
	            this.q = c;
	        }
	        this.state = S_XML_DECL_VALUE;
	    }
	    sXMLDeclValue() {
	        const c = this.captureTo([this.q, QUESTION]);
	        // The question mark character is not valid inside any of the XML
	        // declaration name/value pairs.
	        if (c === QUESTION) {
	            this.state = S_XML_DECL_ENDING;
	            this.text = "";
	            this.fail("XML declaration is incomplete.");
	            return;
	        }
	        if (c === EOC) {
	            return;
	        }
	        const value = this.text;
	        this.text = "";
	        switch (this.name) {
	            case "version": {
	                this.xmlDeclExpects = ["encoding", "standalone"];
	                const version = value;
	                this.xmlDecl.version = version;
	                // This is the test specified by XML 1.0 but it is fine for XML 1.1.
	                if (!/^1\.[0-9]+$/.test(version)) {
	                    this.fail("version number must match /^1\\.[0-9]+$/.");
	                }
	                // When forceXMLVersion is set, the XML declaration is ignored.
	                else if (!this.opt.forceXMLVersion) {
	                    this.setXMLVersion(version);
	                }
	                break;
	            }
	            case "encoding":
	                if (!/^[A-Za-z][A-Za-z0-9._-]*$/.test(value)) {
	                    this.fail("encoding value must match \
	/^[A-Za-z0-9][A-Za-z0-9._-]*$/.");
	                }
	                this.xmlDeclExpects = ["standalone"];
	                this.xmlDecl.encoding = value;
	                break;
	            case "standalone":
	                if (value !== "yes" && value !== "no") {
	                    this.fail("standalone value must match \"yes\" or \"no\".");
	                }
	                this.xmlDeclExpects = [];
	                this.xmlDecl.standalone = value;
	                break;
	            // We don't need to raise an error here since we've already raised one
	            // when checking what name was expected.
	        }
	        this.name = "";
	        this.state = S_XML_DECL_SEPARATOR;
	    }
	    sXMLDeclSeparator() {
	        const c = this.getCodeNorm();
	        // The question mark character is not valid inside any of the XML
	        // declaration name/value pairs.
	        if (c === QUESTION) {
	            // It is valid to go to S_XML_DECL_ENDING from this state.
	            this.state = S_XML_DECL_ENDING;
	            return;
	        }
	        if (!isS(c)) {
	            this.fail("whitespace required.");
	            this.unget();
	        }
	        this.state = S_XML_DECL_NAME_START;
	    }
	    sXMLDeclEnding() {
	        var _a;
	        const c = this.getCodeNorm();
	        if (c === GREATER) {
	            if (this.piTarget !== "xml") {
	                this.fail("processing instructions are not allowed before root.");
	            }
	            else if (this.name !== "version" &&
	                this.xmlDeclExpects.includes("version")) {
	                this.fail("XML declaration must contain a version.");
	            }
	            (_a = this.xmldeclHandler) === null || _a === void 0 ? void 0 : _a.call(this, this.xmlDecl);
	            this.name = "";
	            this.piTarget = this.text = "";
	            this.state = S_TEXT;
	        }
	        else {
	            // We got here because the previous character was a ?, but the question
	            // mark character is not valid inside any of the XML declaration
	            // name/value pairs.
	            this.fail("The character ? is disallowed anywhere in XML declarations.");
	        }
	        this.xmlDeclPossible = false;
	    }
	    sOpenTag() {
	        var _a;
	        const c = this.captureNameChars();
	        if (c === EOC) {
	            return;
	        }
	        const tag = this.tag = {
	            name: this.name,
	            attributes: Object.create(null),
	        };
	        this.name = "";
	        if (this.xmlnsOpt) {
	            this.topNS = tag.ns = Object.create(null);
	        }
	        (_a = this.openTagStartHandler) === null || _a === void 0 ? void 0 : _a.call(this, tag);
	        this.sawRoot = true;
	        if (!this.fragmentOpt && this.closedRoot) {
	            this.fail("documents may contain only one root.");
	        }
	        switch (c) {
	            case GREATER:
	                this.openTag();
	                break;
	            case FORWARD_SLASH:
	                this.state = S_OPEN_TAG_SLASH;
	                break;
	            default:
	                if (!isS(c)) {
	                    this.fail("disallowed character in tag name.");
	                }
	                this.state = S_ATTRIB;
	        }
	    }
	    sOpenTagSlash() {
	        if (this.getCode() === GREATER) {
	            this.openSelfClosingTag();
	        }
	        else {
	            this.fail("forward-slash in opening tag not followed by >.");
	            this.state = S_ATTRIB;
	        }
	    }
	    sAttrib() {
	        const c = this.skipSpaces();
	        if (c === EOC) {
	            return;
	        }
	        if (isNameStartChar(c)) {
	            this.unget();
	            this.state = S_ATTRIB_NAME;
	        }
	        else if (c === GREATER) {
	            this.openTag();
	        }
	        else if (c === FORWARD_SLASH) {
	            this.state = S_OPEN_TAG_SLASH;
	        }
	        else {
	            this.fail("disallowed character in attribute name.");
	        }
	    }
	    sAttribName() {
	        const c = this.captureNameChars();
	        if (c === EQUAL) {
	            this.state = S_ATTRIB_VALUE;
	        }
	        else if (isS(c)) {
	            this.state = S_ATTRIB_NAME_SAW_WHITE;
	        }
	        else if (c === GREATER) {
	            this.fail("attribute without value.");
	            this.pushAttrib(this.name, this.name);
	            this.name = this.text = "";
	            this.openTag();
	        }
	        else if (c !== EOC) {
	            this.fail("disallowed character in attribute name.");
	        }
	    }
	    sAttribNameSawWhite() {
	        const c = this.skipSpaces();
	        switch (c) {
	            case EOC:
	                return;
	            case EQUAL:
	                this.state = S_ATTRIB_VALUE;
	                break;
	            default:
	                this.fail("attribute without value.");
	                // Should we do this???
	                // this.tag.attributes[this.name] = "";
	                this.text = "";
	                this.name = "";
	                if (c === GREATER) {
	                    this.openTag();
	                }
	                else if (isNameStartChar(c)) {
	                    this.unget();
	                    this.state = S_ATTRIB_NAME;
	                }
	                else {
	                    this.fail("disallowed character in attribute name.");
	                    this.state = S_ATTRIB;
	                }
	        }
	    }
	    sAttribValue() {
	        const c = this.getCodeNorm();
	        if (isQuote(c)) {
	            this.q = c;
	            this.state = S_ATTRIB_VALUE_QUOTED;
	        }
	        else if (!isS(c)) {
	            this.fail("unquoted attribute value.");
	            this.state = S_ATTRIB_VALUE_UNQUOTED;
	            this.unget();
	        }
	    }
	    sAttribValueQuoted() {
	        // We deliberately do not use captureTo here. The specialized code we use
	        // here is faster than using captureTo.
	        const { q, chunk } = this;
	        let { i: start } = this;
	        // eslint-disable-next-line no-constant-condition
	        while (true) {
	            switch (this.getCode()) {
	                case q:
	                    this.pushAttrib(this.name, this.text + chunk.slice(start, this.prevI));
	                    this.name = this.text = "";
	                    this.q = null;
	                    this.state = S_ATTRIB_VALUE_CLOSED;
	                    return;
	                case AMP:
	                    this.text += chunk.slice(start, this.prevI);
	                    this.state = S_ENTITY;
	                    this.entityReturnState = S_ATTRIB_VALUE_QUOTED;
	                    return;
	                case NL:
	                case NL_LIKE:
	                case TAB:
	                    this.text += `${chunk.slice(start, this.prevI)} `;
	                    start = this.i;
	                    break;
	                case LESS:
	                    this.text += chunk.slice(start, this.prevI);
	                    this.fail("disallowed character.");
	                    return;
	                case EOC:
	                    this.text += chunk.slice(start);
	                    return;
	            }
	        }
	    }
	    sAttribValueClosed() {
	        const c = this.getCodeNorm();
	        if (isS(c)) {
	            this.state = S_ATTRIB;
	        }
	        else if (c === GREATER) {
	            this.openTag();
	        }
	        else if (c === FORWARD_SLASH) {
	            this.state = S_OPEN_TAG_SLASH;
	        }
	        else if (isNameStartChar(c)) {
	            this.fail("no whitespace between attributes.");
	            this.unget();
	            this.state = S_ATTRIB_NAME;
	        }
	        else {
	            this.fail("disallowed character in attribute name.");
	        }
	    }
	    sAttribValueUnquoted() {
	        // We don't do anything regarding EOL or space handling for unquoted
	        // attributes. We already have failed by the time we get here, and the
	        // contract that saxes upholds states that upon failure, it is not safe to
	        // rely on the data passed to event handlers (other than
	        // ``onerror``). Passing "bad" data is not a problem.
	        const c = this.captureTo(ATTRIB_VALUE_UNQUOTED_TERMINATOR);
	        switch (c) {
	            case AMP:
	                this.state = S_ENTITY;
	                this.entityReturnState = S_ATTRIB_VALUE_UNQUOTED;
	                break;
	            case LESS:
	                this.fail("disallowed character.");
	                break;
	            case EOC:
	                break;
	            default:
	                if (this.text.includes("]]>")) {
	                    this.fail("the string \"]]>\" is disallowed in char data.");
	                }
	                this.pushAttrib(this.name, this.text);
	                this.name = this.text = "";
	                if (c === GREATER) {
	                    this.openTag();
	                }
	                else {
	                    this.state = S_ATTRIB;
	                }
	        }
	    }
	    sCloseTag() {
	        const c = this.captureNameChars();
	        if (c === GREATER) {
	            this.closeTag();
	        }
	        else if (isS(c)) {
	            this.state = S_CLOSE_TAG_SAW_WHITE;
	        }
	        else if (c !== EOC) {
	            this.fail("disallowed character in closing tag.");
	        }
	    }
	    sCloseTagSawWhite() {
	        switch (this.skipSpaces()) {
	            case GREATER:
	                this.closeTag();
	                break;
	            case EOC:
	                break;
	            default:
	                this.fail("disallowed character in closing tag.");
	        }
	    }
	    // END OF STATE ENGINE METHODS
	    handleTextInRoot() {
	        // This is essentially a specialized version of captureTo which is optimized
	        // for performing the ]]> check. A previous version of this code, checked
	        // ``this.text`` for the presence of ]]>. It simplified the code but was
	        // very costly when character data contained a lot of entities to be parsed.
	        //
	        // Since we are using a specialized loop, we also keep track of the presence
	        // of ]]> in text data. The sequence ]]> is forbidden to appear as-is.
	        //
	        let { i: start, forbiddenState } = this;
	        const { chunk, textHandler: handler } = this;
	        // eslint-disable-next-line no-labels, no-restricted-syntax
	        scanLoop: 
	        // eslint-disable-next-line no-constant-condition
	        while (true) {
	            switch (this.getCode()) {
	                case LESS: {
	                    this.state = S_OPEN_WAKA;
	                    if (handler !== undefined) {
	                        const { text } = this;
	                        const slice = chunk.slice(start, this.prevI);
	                        if (text.length !== 0) {
	                            handler(text + slice);
	                            this.text = "";
	                        }
	                        else if (slice.length !== 0) {
	                            handler(slice);
	                        }
	                    }
	                    forbiddenState = FORBIDDEN_START;
	                    // eslint-disable-next-line no-labels
	                    break scanLoop;
	                }
	                case AMP:
	                    this.state = S_ENTITY;
	                    this.entityReturnState = S_TEXT;
	                    if (handler !== undefined) {
	                        this.text += chunk.slice(start, this.prevI);
	                    }
	                    forbiddenState = FORBIDDEN_START;
	                    // eslint-disable-next-line no-labels
	                    break scanLoop;
	                case CLOSE_BRACKET:
	                    switch (forbiddenState) {
	                        case FORBIDDEN_START:
	                            forbiddenState = FORBIDDEN_BRACKET;
	                            break;
	                        case FORBIDDEN_BRACKET:
	                            forbiddenState = FORBIDDEN_BRACKET_BRACKET;
	                            break;
	                        case FORBIDDEN_BRACKET_BRACKET:
	                            break;
	                        default:
	                            throw new Error("impossible state");
	                    }
	                    break;
	                case GREATER:
	                    if (forbiddenState === FORBIDDEN_BRACKET_BRACKET) {
	                        this.fail("the string \"]]>\" is disallowed in char data.");
	                    }
	                    forbiddenState = FORBIDDEN_START;
	                    break;
	                case NL_LIKE:
	                    if (handler !== undefined) {
	                        this.text += `${chunk.slice(start, this.prevI)}\n`;
	                    }
	                    start = this.i;
	                    forbiddenState = FORBIDDEN_START;
	                    break;
	                case EOC:
	                    if (handler !== undefined) {
	                        this.text += chunk.slice(start);
	                    }
	                    // eslint-disable-next-line no-labels
	                    break scanLoop;
	                default:
	                    forbiddenState = FORBIDDEN_START;
	            }
	        }
	        this.forbiddenState = forbiddenState;
	    }
	    handleTextOutsideRoot() {
	        // This is essentially a specialized version of captureTo which is optimized
	        // for a specialized task. We keep track of the presence of non-space
	        // characters in the text since these are errors when appearing outside the
	        // document root element.
	        let { i: start } = this;
	        const { chunk, textHandler: handler } = this;
	        let nonSpace = false;
	        // eslint-disable-next-line no-labels, no-restricted-syntax
	        outRootLoop: 
	        // eslint-disable-next-line no-constant-condition
	        while (true) {
	            const code = this.getCode();
	            switch (code) {
	                case LESS: {
	                    this.state = S_OPEN_WAKA;
	                    if (handler !== undefined) {
	                        const { text } = this;
	                        const slice = chunk.slice(start, this.prevI);
	                        if (text.length !== 0) {
	                            handler(text + slice);
	                            this.text = "";
	                        }
	                        else if (slice.length !== 0) {
	                            handler(slice);
	                        }
	                    }
	                    // eslint-disable-next-line no-labels
	                    break outRootLoop;
	                }
	                case AMP:
	                    this.state = S_ENTITY;
	                    this.entityReturnState = S_TEXT;
	                    if (handler !== undefined) {
	                        this.text += chunk.slice(start, this.prevI);
	                    }
	                    nonSpace = true;
	                    // eslint-disable-next-line no-labels
	                    break outRootLoop;
	                case NL_LIKE:
	                    if (handler !== undefined) {
	                        this.text += `${chunk.slice(start, this.prevI)}\n`;
	                    }
	                    start = this.i;
	                    break;
	                case EOC:
	                    if (handler !== undefined) {
	                        this.text += chunk.slice(start);
	                    }
	                    // eslint-disable-next-line no-labels
	                    break outRootLoop;
	                default:
	                    if (!isS(code)) {
	                        nonSpace = true;
	                    }
	            }
	        }
	        if (!nonSpace) {
	            return;
	        }
	        // We use the reportedTextBeforeRoot and reportedTextAfterRoot flags
	        // to avoid reporting errors for every single character that is out of
	        // place.
	        if (!this.sawRoot && !this.reportedTextBeforeRoot) {
	            this.fail("text data outside of root node.");
	            this.reportedTextBeforeRoot = true;
	        }
	        if (this.closedRoot && !this.reportedTextAfterRoot) {
	            this.fail("text data outside of root node.");
	            this.reportedTextAfterRoot = true;
	        }
	    }
	    pushAttribNS(name, value) {
	        var _a;
	        const { prefix, local } = this.qname(name);
	        const attr = { name, prefix, local, value };
	        this.attribList.push(attr);
	        (_a = this.attributeHandler) === null || _a === void 0 ? void 0 : _a.call(this, attr);
	        if (prefix === "xmlns") {
	            const trimmed = value.trim();
	            if (this.currentXMLVersion === "1.0" && trimmed === "") {
	                this.fail("invalid attempt to undefine prefix in XML 1.0");
	            }
	            this.topNS[local] = trimmed;
	            nsPairCheck(this, local, trimmed);
	        }
	        else if (name === "xmlns") {
	            const trimmed = value.trim();
	            this.topNS[""] = trimmed;
	            nsPairCheck(this, "", trimmed);
	        }
	    }
	    pushAttribPlain(name, value) {
	        var _a;
	        const attr = { name, value };
	        this.attribList.push(attr);
	        (_a = this.attributeHandler) === null || _a === void 0 ? void 0 : _a.call(this, attr);
	    }
	    /**
	     * End parsing. This performs final well-formedness checks and resets the
	     * parser to a clean state.
	     *
	     * @returns this
	     */
	    end() {
	        var _a, _b;
	        if (!this.sawRoot) {
	            this.fail("document must contain a root element.");
	        }
	        const { tags } = this;
	        while (tags.length > 0) {
	            const tag = tags.pop();
	            this.fail(`unclosed tag: ${tag.name}`);
	        }
	        if ((this.state !== S_BEGIN) && (this.state !== S_TEXT)) {
	            this.fail("unexpected end.");
	        }
	        const { text } = this;
	        if (text.length !== 0) {
	            (_a = this.textHandler) === null || _a === void 0 ? void 0 : _a.call(this, text);
	            this.text = "";
	        }
	        this._closed = true;
	        (_b = this.endHandler) === null || _b === void 0 ? void 0 : _b.call(this);
	        this._init();
	        return this;
	    }
	    /**
	     * Resolve a namespace prefix.
	     *
	     * @param prefix The prefix to resolve.
	     *
	     * @returns The namespace URI or ``undefined`` if the prefix is not defined.
	     */
	    resolve(prefix) {
	        var _a, _b;
	        let uri = this.topNS[prefix];
	        if (uri !== undefined) {
	            return uri;
	        }
	        const { tags } = this;
	        for (let index = tags.length - 1; index >= 0; index--) {
	            uri = tags[index].ns[prefix];
	            if (uri !== undefined) {
	                return uri;
	            }
	        }
	        uri = this.ns[prefix];
	        if (uri !== undefined) {
	            return uri;
	        }
	        return (_b = (_a = this.opt).resolvePrefix) === null || _b === void 0 ? void 0 : _b.call(_a, prefix);
	    }
	    /**
	     * Parse a qname into its prefix and local name parts.
	     *
	     * @param name The name to parse
	     *
	     * @returns
	     */
	    qname(name) {
	        // This is faster than using name.split(":").
	        const colon = name.indexOf(":");
	        if (colon === -1) {
	            return { prefix: "", local: name };
	        }
	        const local = name.slice(colon + 1);
	        const prefix = name.slice(0, colon);
	        if (prefix === "" || local === "" || local.includes(":")) {
	            this.fail(`malformed name: ${name}.`);
	        }
	        return { prefix, local };
	    }
	    processAttribsNS() {
	        var _a;
	        const { attribList } = this;
	        const tag = this.tag;
	        {
	            // add namespace info to tag
	            const { prefix, local } = this.qname(tag.name);
	            tag.prefix = prefix;
	            tag.local = local;
	            const uri = tag.uri = (_a = this.resolve(prefix)) !== null && _a !== void 0 ? _a : "";
	            if (prefix !== "") {
	                if (prefix === "xmlns") {
	                    this.fail("tags may not have \"xmlns\" as prefix.");
	                }
	                if (uri === "") {
	                    this.fail(`unbound namespace prefix: ${JSON.stringify(prefix)}.`);
	                    tag.uri = prefix;
	                }
	            }
	        }
	        if (attribList.length === 0) {
	            return;
	        }
	        const { attributes } = tag;
	        const seen = new Set();
	        // Note: do not apply default ns to attributes:
	        //   http://www.w3.org/TR/REC-xml-names/#defaulting
	        for (const attr of attribList) {
	            const { name, prefix, local } = attr;
	            let uri;
	            let eqname;
	            if (prefix === "") {
	                uri = name === "xmlns" ? XMLNS_NAMESPACE : "";
	                eqname = name;
	            }
	            else {
	                uri = this.resolve(prefix);
	                // if there's any attributes with an undefined namespace,
	                // then fail on them now.
	                if (uri === undefined) {
	                    this.fail(`unbound namespace prefix: ${JSON.stringify(prefix)}.`);
	                    uri = prefix;
	                }
	                eqname = `{${uri}}${local}`;
	            }
	            if (seen.has(eqname)) {
	                this.fail(`duplicate attribute: ${eqname}.`);
	            }
	            seen.add(eqname);
	            attr.uri = uri;
	            attributes[name] = attr;
	        }
	        this.attribList = [];
	    }
	    processAttribsPlain() {
	        const { attribList } = this;
	        // eslint-disable-next-line prefer-destructuring
	        const attributes = this.tag.attributes;
	        for (const { name, value } of attribList) {
	            if (attributes[name] !== undefined) {
	                this.fail(`duplicate attribute: ${name}.`);
	            }
	            attributes[name] = value;
	        }
	        this.attribList = [];
	    }
	    /**
	     * Handle a complete open tag. This parser code calls this once it has seen
	     * the whole tag. This method checks for well-formeness and then emits
	     * ``onopentag``.
	     */
	    openTag() {
	        var _a;
	        this.processAttribs();
	        const { tags } = this;
	        const tag = this.tag;
	        tag.isSelfClosing = false;
	        // There cannot be any pending text here due to the onopentagstart that was
	        // necessarily emitted before we get here. So we do not check text.
	        (_a = this.openTagHandler) === null || _a === void 0 ? void 0 : _a.call(this, tag);
	        tags.push(tag);
	        this.state = S_TEXT;
	        this.name = "";
	    }
	    /**
	     * Handle a complete self-closing tag. This parser code calls this once it has
	     * seen the whole tag. This method checks for well-formeness and then emits
	     * ``onopentag`` and ``onclosetag``.
	     */
	    openSelfClosingTag() {
	        var _a, _b, _c;
	        this.processAttribs();
	        const { tags } = this;
	        const tag = this.tag;
	        tag.isSelfClosing = true;
	        // There cannot be any pending text here due to the onopentagstart that was
	        // necessarily emitted before we get here. So we do not check text.
	        (_a = this.openTagHandler) === null || _a === void 0 ? void 0 : _a.call(this, tag);
	        (_b = this.closeTagHandler) === null || _b === void 0 ? void 0 : _b.call(this, tag);
	        const top = this.tag = (_c = tags[tags.length - 1]) !== null && _c !== void 0 ? _c : null;
	        if (top === null) {
	            this.closedRoot = true;
	        }
	        this.state = S_TEXT;
	        this.name = "";
	    }
	    /**
	     * Handle a complete close tag. This parser code calls this once it has seen
	     * the whole tag. This method checks for well-formeness and then emits
	     * ``onclosetag``.
	     */
	    closeTag() {
	        const { tags, name } = this;
	        // Our state after this will be S_TEXT, no matter what, and we can clear
	        // tagName now.
	        this.state = S_TEXT;
	        this.name = "";
	        if (name === "") {
	            this.fail("weird empty close tag.");
	            this.text += "</>";
	            return;
	        }
	        const handler = this.closeTagHandler;
	        let l = tags.length;
	        while (l-- > 0) {
	            const tag = this.tag = tags.pop();
	            this.topNS = tag.ns;
	            handler === null || handler === void 0 ? void 0 : handler(tag);
	            if (tag.name === name) {
	                break;
	            }
	            this.fail("unexpected close tag.");
	        }
	        if (l === 0) {
	            this.closedRoot = true;
	        }
	        else if (l < 0) {
	            this.fail(`unmatched closing tag: ${name}.`);
	            this.text += `</${name}>`;
	        }
	    }
	    /**
	     * Resolves an entity. Makes any necessary well-formedness checks.
	     *
	     * @param entity The entity to resolve.
	     *
	     * @returns The parsed entity.
	     */
	    parseEntity(entity) {
	        // startsWith would be significantly slower for this test.
	        if (entity[0] !== "#") {
	            const defined = this.ENTITIES[entity];
	            if (defined !== undefined) {
	                return defined;
	            }
	            this.fail(this.isName(entity) ? "undefined entity." :
	                "disallowed character in entity name.");
	            return `&${entity};`;
	        }
	        let num = NaN;
	        if (entity[1] === "x" && /^#x[0-9a-f]+$/i.test(entity)) {
	            num = parseInt(entity.slice(2), 16);
	        }
	        else if (/^#[0-9]+$/.test(entity)) {
	            num = parseInt(entity.slice(1), 10);
	        }
	        // The character reference is required to match the CHAR production.
	        if (!this.isChar(num)) {
	            this.fail("malformed character entity.");
	            return `&${entity};`;
	        }
	        return String.fromCodePoint(num);
	    }
	}
	saxes.SaxesParser = SaxesParser;
	
	return saxes;
}

var saxesExports = requireSaxes();

// Linear-time scans of report text. A regular expression that can backtrack over a long run of
// report text (16 KiB of "@" once took 27 s) is a defect here, so these walk the text by hand.
const SOURCE_EXTENSIONS = new Set(['py', 'js', 'mjs', 'cjs', 'ts', 'tsx', 'mts', 'jsx', 'go', 'rs', 'php', 'java', 'kt', 'scala', 'rb', 'cs', 'ex', 'exs', 'cpp', 'cc', 'cxx', 'c', 'h', 'hpp']);
const LONGEST_EXTENSION = 5;
/** [\w.@+\-/\\]: the characters a path in a traceback is made of. */
function isPathChar(code) {
    return ((code >= 0x61 && code <= 0x7a) || // a-z
        (code >= 0x41 && code <= 0x5a) || // A-Z
        (code >= 0x30 && code <= 0x39) || // 0-9
        code === 0x5f || code === 0x2e || code === 0x40 || code === 0x2b || code === 0x2d || code === 0x2f || code === 0x5c);
}
function isLetter(code) {
    return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a);
}
/** Where a path may start: the start of the text, after a blank, a bracket, a quote or "@" (node's "at f (file:1)"). */
function isBoundary$1(text, index) {
    if (index < 0)
        return true;
    const code = text.charCodeAt(index);
    return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d || code === 0x28 || code === 0x22 || code === 0x27 || code === 0x40;
}
/**
 * Every `path/to/file.ext:LINE` in `text`, in order: each character is looked at a bounded number
 * of times (a path run ends at the ":" it is followed by, so no run is walked twice).
 */
function* sourceLocations(text) {
    for (let colon = text.indexOf(':'); colon >= 0; colon = text.indexOf(':', colon + 1)) {
        let end = colon + 1;
        while (end < text.length && text.charCodeAt(end) >= 0x30 && text.charCodeAt(end) <= 0x39)
            end++;
        if (end === colon + 1)
            continue;
        // The extension: letters back to a ".", preceded by a word character or "-".
        let dot = colon - 1;
        while (dot >= 0 && colon - dot <= LONGEST_EXTENSION + 1 && isLetter(text.charCodeAt(dot)))
            dot--;
        if (dot < 1 || text.charCodeAt(dot) !== 0x2e || !SOURCE_EXTENSIONS.has(text.slice(dot + 1, colon)))
            continue;
        const beforeDot = text.charCodeAt(dot - 1);
        if (!isPathChar(beforeDot) || beforeDot === 0x2e || beforeDot === 0x40 || beforeDot === 0x2b || beforeDot === 0x2f || beforeDot === 0x5c)
            continue;
        // The path: back over path characters, then the leftmost start a boundary allows.
        let start = dot - 1;
        while (start > 0 && isPathChar(text.charCodeAt(start - 1)))
            start--;
        // C:\path or C:/path: a drive letter before the run.
        if (start >= 2 && text.charCodeAt(start - 1) === 0x3a && isLetter(text.charCodeAt(start - 2)) && isBoundary$1(text, start - 3))
            start -= 2;
        else if (!isBoundary$1(text, start - 1)) {
            // Not after a boundary: the path may still start after an "@" inside the run.
            const at = text.indexOf('@', start);
            if (at < 0 || at >= dot - 1)
                continue;
            start = at + 1;
        }
        yield { path: text.slice(start, colon), line: Number(text.slice(colon + 1, end)) };
        colon = end - 1;
    }
}
const LIBRARY_FRAME = /node_modules|site-packages|dist-packages|node:internal|^\/usr\/|\/rustc\/|\/\.cargo\/|\/go\/src\/|\/go\/pkg\/mod\/|\/vendor\/|^<frozen /;
const TEST_DIRECTORY = /(?:^|[/\\])(?:tests?|specs?|__tests__|testing)[/\\]/i;
const TEST_BASENAME = /^test_|^test\.|_test\.|_spec\.|\.test\.|\.spec\.|Tests?\.[a-z]+$|Spec\.[a-z]+$/;
function isLibraryFrame(path) {
    return LIBRARY_FRAME.test(path);
}
/** A path that names a test file or sits in a tests directory. */
function isTestFile(path) {
    const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
    return TEST_BASENAME.test(path.slice(slash + 1)) || TEST_DIRECTORY.test(path);
}
/**
 * The frame to link for a failure: the first one in a test file that is not a library's (peewee.py
 * named first, tests/json_field.py later: the test file); else the first frame that is not a library's.
 */
function testFrame(text, limit = 200) {
    let firstOwn;
    let seen = 0;
    for (const location of sourceLocations(text)) {
        if (++seen > limit)
            break;
        if (isLibraryFrame(location.path))
            continue;
        if (isTestFile(location.path))
            return location;
        firstOwn ??= location;
    }
    return firstOwn;
}
/**
 * Terminal colour and control sequences in the forms reports carry them: with the ESC byte, with
 * the ESC the decoder replaced by U+FFFD, as the text `#x1B` (pytest), `\x1b`, `\033`, `\u001b`,
 * and SGR codes whose ESC a reporter dropped (vitest keeps `[33m`). Linear: each alternative is
 * anchored on a fixed prefix and scans one class of characters once.
 */
const ESCAPE = String.raw `(?:\u001b|\ufffd|#x1[bB];?|\\x1[bB]|\\033|\\u001[bB]|\\e)`;
const TERMINAL_SEQUENCE = new RegExp(String.raw `${ESCAPE}\[[0-9;?]*[ -/]*[@-~]|${ESCAPE}\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|${ESCAPE}[@-Z\\-_]|\[[0-9;]+m`, 'g');
/** The text as a person sees it in a terminal: colour and control sequences removed. */
function visibleText(text) {
    return text.replace(TERMINAL_SEQUENCE, '');
}
/** Each line of `text` on its own (LF, CRLF or CR), without building an array of them all. */
function* eachLine(text) {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
        const code = text.charCodeAt(i);
        if (code !== 0x0a && code !== 0x0d)
            continue;
        yield text.slice(start, i);
        if (code === 0x0d && text.charCodeAt(i + 1) === 0x0a)
            i++;
        start = i + 1;
    }
    if (start < text.length)
        yield text.slice(start);
}
/** How much of one very long line is matched at once, and how much of it is carried into the next window. */
const LINE_WINDOW_CHARS = 65_536;
const LINE_OVERLAP_CHARS = 4_096;
/**
 * The first line of a text that arrives in pieces which `accepts`, holding only the line not yet
 * finished: output of any length is matched in memory bounded by one piece plus one window. A line
 * longer than a window is matched window by window, each window starting with the last
 * LINE_OVERLAP_CHARS of the one before, so a match shorter than that is found wherever it sits.
 */
class FirstMatchingLine {
    accepts;
    windowChars;
    overlapChars;
    pending = '';
    /** The last character taken was a CR: an LF right after it ends no second line. */
    afterCR = false;
    found;
    constructor(accepts, windowChars = LINE_WINDOW_CHARS, overlapChars = LINE_OVERLAP_CHARS) {
        this.accepts = accepts;
        this.windowChars = windowChars;
        this.overlapChars = overlapChars;
    }
    reset() {
        this.pending = '';
        this.afterCR = false;
        this.found = undefined;
    }
    push(text) {
        let start = 0;
        for (let i = 0; i < text.length && this.found === undefined; i++) {
            const code = text.charCodeAt(i);
            if (code !== 0x0a && code !== 0x0d)
                continue;
            if (code === 0x0a && this.afterCR && i === start && this.pending.length === 0) {
                this.afterCR = false;
                start = i + 1;
                continue;
            }
            this.take(text.slice(start, i), true);
            this.afterCR = code === 0x0d;
            start = i + 1;
        }
        if (this.found === undefined && start < text.length) {
            this.afterCR = false;
            this.take(text.slice(start), false);
        }
    }
    /** The end of one text (system-out before system-err): its last line ends here. */
    endText() {
        if (this.found === undefined && this.pending.length > 0)
            this.take('', true);
        this.pending = '';
        this.afterCR = false;
    }
    take(piece, lineEnds) {
        this.pending = this.pending.length === 0 ? piece : this.pending + piece;
        if (!lineEnds && this.pending.length <= this.windowChars)
            return;
        if (this.pending.length > 0 && this.accepts(this.pending)) {
            this.found = this.pending;
        }
        else if (!lineEnds) {
            this.pending = tailWhole(this.pending, this.overlapChars);
            return;
        }
        this.pending = '';
    }
}
/** The last `chars` characters of `text`, without starting on the low half of a surrogate pair. */
function tailWhole(text, chars) {
    const start = text.length - chars;
    if (start <= 0)
        return text;
    const first = text.charCodeAt(start);
    return text.slice(first >= 0xdc00 && first <= 0xdfff ? start + 1 : start);
}

// A strict, streaming JUnit XML reader built on saxes.
//
// Why not junit2json: it builds the whole tree in memory (xml2js) and turns numeric-looking
// names into numbers (`name="007"` becomes 7), which corrupts test identity. saxes streams,
// is strict (well-formedness errors carry line and column), and never expands a DTD.
//
// Counting comes from <testcase> elements only: suite totals are often wrong or missing.
const DEFAULT_LIMITS = { messageChars: 16_384, outputChars: 65_536 };
class ReportParseError extends Error {
    file;
    line;
    column;
    reason;
    constructor(file, line, column, reason) {
        super(`${file}${line === undefined ? '' : `:${line}:${column ?? 0}`}: ${reason}`);
        this.file = file;
        this.line = line;
        this.column = column;
        this.reason = reason;
        this.name = 'ReportParseError';
    }
}
const RESULT_ELEMENTS = { failure: 'failed', error: 'errored', skipped: 'skipped' };
// Surefire re-run records: a flaky* element inside a passing testcase means it passed on a retry;
// a rerun* element inside a failing testcase is an extra failed attempt.
const FLAKY_ELEMENTS = new Set(['flakyFailure', 'flakyError']);
const RERUN_ELEMENTS = new Set(['rerunFailure', 'rerunError']);
const OUTPUT_ELEMENTS = new Set(['system-out', 'system-err']);
const SKIPPED_STATUS_ATTR = new Set(['disabled', 'skipped', 'skip', 'pending', 'todo', 'ignored', 'notrun', 'not run']);
/** result="..." (googletest GTEST_SKIP, Qt): outcomes other than these stay passed. */
const RESULT_ATTR = { skipped: 'skipped', skip: 'skipped', suppressed: 'skipped', fail: 'failed', failed: 'failed', failure: 'failed', error: 'errored', errored: 'errored' };
/**
 * Nesting bounds. Real reports nest a few suites deep (one per describe block); an attacker's
 * 10,000-deep report would otherwise cost depth² work per testcase in the id builder (measured:
 * 10,000 distinct nested suites around 2,000 testcases took 454 s and 1.2 GB). Past these limits
 * the report is refused with an error naming the file, line and column.
 */
const MAX_ELEMENT_DEPTH = 256;
const MAX_SUITE_DEPTH = 64;
/** saxes 6 state numbers (S_TEXT, S_COMMENT, S_CDATA) whose gathered text is node content. */
const SAXES_TEXT = 13;
const SAXES_COMMENT = 17;
const SAXES_CDATA = 20;
/** Text a capture may hold inside saxes before we take it out (keeps one huge text node bounded). */
const DRAIN_CHARS = 1 << 16;
/** saxes 6 states from <!DOCTYPE up to the end of its internal subset. */
const SAXES_DOCTYPE_FIRST = 2;
const SAXES_DOCTYPE_LAST = 12;
/**
 * Markup saxes must hold whole (an attribute value, a name, a processing instruction): past this
 * many characters the report is refused, so a 1 GB attribute costs one read chunk, not gigabytes.
 * Real names and message attributes stay far below it.
 */
const MAX_MARKUP_CHARS = 8 * 1024 * 1024;
/** Attributes on one element (each is held until the tag closes). */
const MAX_ATTRIBUTES = 10_000;
const DOCTYPE_REFUSED = 'a DOCTYPE is not allowed in a JUnit report (entities and DTDs are refused, never expanded)';
/** Thrown from inside saxes when a document's root element closes, to start the next document. */
class DocumentEnd {
}
const DOCUMENT_END = new DocumentEnd();
/**
 * Push-based: write() decoded text as it arrives, end() when the file is done.
 * Each complete <testcase> is handed to `onTestcase` as soon as it closes.
 */
class JUnitStreamParser {
    fileName;
    onTestcase;
    limits;
    sax;
    document = -1;
    depth = 0;
    rootSeen = false;
    suitePath = [];
    /** A frozen copy of suitePath, shared by the testcases until a suite opens or closes. */
    suiteSnapshot;
    /** Ordinals of the open <testsuite> elements, innermost last, and how many were opened in the file. */
    suiteOrdinals = [];
    suitesOpened = 0;
    suiteFiles = [];
    current;
    /** The one OpenCase object, filled anew by each <testcase> (finishCase copies what it hands out). */
    spare = emptyCase();
    capture;
    /** Lines before the current document, so errors in a second document name the file's line. */
    lineOffset = 0;
    /** Characters given to the current saxes parser by completed writes (its position before a write). */
    fed = 0;
    /** saxes' position just after the current document's root element closed. */
    documentEnd = 0;
    /** A trailing CR or high surrogate held until the next write (see write()). */
    carried = '';
    /** The next text piece continues a node drained mid-way (no separator before it). */
    continued = false;
    /** A result element just began: its body is set apart from the message before it (adjacent nodes inside join as written). */
    separate = false;
    testcases = 0;
    /** The text and CDATA handler while capturing (one closure per parser). */
    appendText = (text) => this.append(text);
    /** Set when the caller picks output lines: the line scan of the open testcase's output. */
    outputScan;
    /** Set when the caller reads suite-level output: every line of it, in the same bounded windows. */
    suiteOutputScan;
    /** Depth of the open suite-level output element. */
    suiteOutputDepth = 0;
    constructor(fileName, onTestcase, limits = DEFAULT_LIMITS) {
        this.fileName = fileName;
        this.onTestcase = onTestcase;
        this.limits = limits;
        this.outputScan = limits.outputLine === undefined ? undefined : new FirstMatchingLine(limits.outputLine);
        const onSuiteLine = limits.onSuiteOutputLine;
        this.suiteOutputScan =
            onSuiteLine === undefined
                ? undefined
                : new FirstMatchingLine((line) => {
                    onSuiteLine(line);
                    return false;
                });
        this.startDocument();
    }
    write(text) {
        // saxes holds back a trailing CR or high surrogate inside itself, which would make its
        // position disagree with what we gave it; hold it here instead, so the count stays exact.
        let rest = this.carried + text;
        this.carried = '';
        const last = rest.charCodeAt(rest.length - 1);
        if (last === 0x0d || (last >= 0xd800 && last <= 0xdbff)) {
            this.carried = rest.slice(-1);
            rest = rest.slice(0, -1);
        }
        this.feed(rest);
    }
    feed(text) {
        let rest = text;
        while (rest.length > 0) {
            if (this.rootSeen && this.depth === 0) {
                // Between documents: only whitespace, or the start of the next document.
                const next = rest.search(/\S/);
                const skipped = next < 0 ? rest : rest.slice(0, next);
                this.lineOffset += countNewlines(skipped);
                if (next < 0)
                    return;
                this.lineOffset += this.sax.line - 1;
                this.startDocument();
                rest = rest.slice(next);
            }
            // saxes' position is the characters it has consumed, counting from its first write.
            const start = this.fed;
            try {
                this.sax.write(rest);
                this.fed += rest.length;
                this.drain();
                return;
            }
            catch (error) {
                if (error !== DOCUMENT_END)
                    throw this.wrap(error);
                rest = rest.slice(this.documentEnd - start);
            }
        }
    }
    end() {
        if (this.carried.length > 0) {
            const carried = this.carried;
            this.carried = '';
            this.feed(carried);
        }
        if (this.rootSeen && this.depth === 0)
            return;
        try {
            this.sax.close();
        }
        catch (error) {
            if (error === DOCUMENT_END)
                return;
            // Comments, processing instructions and whitespace after a document's root are valid XML.
            if (this.document > 0 && !this.rootSeen && error instanceof Error && /must contain a root element/.test(error.message))
                return;
            throw this.wrap(error);
        }
        if (!this.rootSeen) {
            throw new ReportParseError(this.fileName, undefined, undefined, 'the file holds no XML element (empty or truncated report)');
        }
    }
    startDocument() {
        this.document += 1;
        this.rootSeen = false;
        this.depth = 0;
        this.suitePath.length = 0;
        this.suiteOrdinals.length = 0;
        this.suiteSnapshot = undefined;
        this.suiteFiles.length = 0;
        this.current = undefined;
        this.capture = undefined;
        this.fed = 0;
        this.documentEnd = 0;
        const sax = new saxesExports.SaxesParser({ xmlns: false, position: true, fileName: this.fileName });
        sax.on('doctype', () => {
            throw this.failAt(DOCTYPE_REFUSED);
        });
        sax.on('opentag', (tag) => this.openTag(tag));
        sax.on('closetag', (tag) => this.closeTag(tag));
        // Qt 5 QTestLib writes QSKIP only as a comment inside the testcase: <!-- type="skip" message="..." -->.
        sax.on('comment', (comment) => {
            const open = this.current;
            if (open === undefined || this.depth !== open.depth || open.status !== 'passed')
                return;
            const head = comment.slice(0, 4096);
            if (!/\btype="q?skip"/i.test(head))
                return;
            open.status = 'skipped';
            const message = /\bmessage="([^"]*)"/.exec(head)?.[1];
            if (message !== undefined && message.length > 0 && open.message.length === 0)
                open.message = sliceWhole$1(message, this.limits.messageChars);
        });
        sax.on('error', (error) => {
            throw error;
        });
        // Give every parser its text and CDATA handler slots now, unset: saxes adds them as fields,
        // and adding them at the first failure message changed the parser's shape mid-file, which
        // threw away saxes' optimised code (and again for each file). Unset reads as never set.
        sax.on('text', this.appendText);
        sax.on('cdata', this.appendText);
        sax.off('text');
        sax.off('cdata');
        this.sax = sax;
    }
    openTag(tag) {
        const depth = ++this.depth;
        const name = tag.name;
        const attributes = tag.attributes;
        if (depth > MAX_ELEMENT_DEPTH)
            throw this.failAt(`elements are nested more than ${MAX_ELEMENT_DEPTH} levels deep`);
        if (depth === 1) {
            if (name !== 'testsuites' && name !== 'testsuite') {
                throw this.failAt(`not a JUnit report: the root element is <${name}>, expected <testsuites> or <testsuite>`);
            }
            this.rootSeen = true;
        }
        if (name === 'testsuite') {
            if (this.suitePath.length >= MAX_SUITE_DEPTH)
                throw this.failAt(`<testsuite> elements are nested more than ${MAX_SUITE_DEPTH} levels deep`);
            this.suitePath.push(attributes.name ?? '');
            this.suiteOrdinals.push(++this.suitesOpened);
            this.suiteSnapshot = undefined;
            this.suiteFiles.push(attributes.file ?? attributes.filepath);
            return;
        }
        if (name === 'property') {
            const value = attributes.value;
            if (this.limits.onProperty !== undefined)
                this.limits.onProperty(attributes.name ?? '', value ?? '');
            return;
        }
        const open = this.current;
        if (name === 'testcase') {
            if (open !== undefined)
                throw this.failAt('a <testcase> inside another <testcase>');
            this.current = newCase(this.spare, attributes, depth, this.suitePath.length, this.suiteFiles, this.suitePath[0] === 'pytest');
            this.outputScan?.reset();
            return;
        }
        if (open === undefined && OUTPUT_ELEMENTS.has(name) && this.suiteOutputScan !== undefined && this.capture === undefined) {
            this.suiteOutputScan.reset();
            this.suiteOutputDepth = depth;
            this.setCapture('suite-output');
            return;
        }
        if (open === undefined || depth !== open.depth + 1)
            return;
        const resultStatus = RESULT_ELEMENTS[name];
        if (resultStatus !== undefined) {
            // The first result element decides; a later <skipped> must not hide an earlier <failure>.
            if (open.status === 'passed' || (open.status === 'skipped' && resultStatus !== 'skipped'))
                open.status = resultStatus;
            this.beginMessage(open, attributes);
        }
        else if (FLAKY_ELEMENTS.has(name)) {
            open.flaky = true;
            this.beginMessage(open, attributes);
        }
        else if (RERUN_ELEMENTS.has(name)) {
            this.beginMessage(open, attributes);
        }
        else if (OUTPUT_ELEMENTS.has(name)) {
            // system-out and system-err (and pytest's second system-out) are separate texts: a line
            // break between them, so a skip marker never matches across the seam.
            if (this.outputScan !== undefined)
                this.outputScan.endText();
            else if (open.output.length > 0 && !open.output.endsWith('\n') && open.output.length < this.limits.outputChars)
                open.output += '\n';
            this.setCapture('output');
        }
    }
    closeTag(tag) {
        const depth = this.depth--;
        const open = this.current;
        if (tag.name === 'testsuite') {
            this.suitePath.pop();
            this.suiteOrdinals.pop();
            this.suiteSnapshot = undefined;
            this.suiteFiles.pop();
        }
        else if (open === undefined && this.capture === 'suite-output' && depth === this.suiteOutputDepth) {
            this.suiteOutputScan?.endText();
            this.setCapture(undefined);
        }
        else if (open !== undefined) {
            if (depth === open.depth) {
                this.current = undefined;
                this.testcases += 1;
                this.suiteSnapshot ??= Object.freeze(this.suitePath.slice());
                if (this.outputScan !== undefined)
                    open.output = this.outputScan.found ?? '';
                this.onTestcase(finishCase(open, this.suiteSnapshot, this.document, this.suiteOrdinals.at(-1) ?? 0));
            }
            else if (depth === open.depth + 1) {
                // The output's last line ends with its element.
                if (this.capture === 'output')
                    this.outputScan?.endText();
                this.setCapture(undefined);
            }
        }
        if (depth === 1) {
            // Just past the root's closing ">": where the next document may begin.
            this.documentEnd = this.sax.position;
            throw DOCUMENT_END;
        }
    }
    beginMessage(open, attributes) {
        const message = attributes.message;
        if (message !== undefined && message.length > 0 && open.message.length < this.limits.messageChars) {
            open.message += (open.message.length > 0 ? '\n' : '') + sliceWhole$1(message, this.limits.messageChars);
        }
        this.setCapture('message');
        this.separate = true;
    }
    setCapture(capture) {
        if (capture === this.capture)
            return;
        this.capture = capture;
        this.continued = false;
        // saxes only accumulates text while a text handler is set: keep it off outside messages and output.
        if (capture === undefined) {
            this.sax.off('text');
            this.sax.off('cdata');
        }
        else {
            this.sax.on('text', this.appendText);
            this.sax.on('cdata', this.appendText);
        }
    }
    /**
     * saxes gathers a whole text, CDATA or comment node before handing it over (CDATA and comments
     * even with no handler set), so a 100 MB failure body or a 1 GB CDATA block would sit in memory
     * at once. Between chunks, take what it gathered so far: into the capture when we capture that
     * text, otherwise away. Memory stays at about one chunk plus the limits. Attribute values are
     * never touched (names must stay exact); one over V8's string limit ends in a clear error.
     */
    drain() {
        const sax = this.sax;
        const state = sax.state;
        // A DOCTYPE still open after a whole chunk: refuse now rather than gather it to its end.
        if (state >= SAXES_DOCTYPE_FIRST && state <= SAXES_DOCTYPE_LAST)
            throw this.failAt(DOCTYPE_REFUSED);
        if (typeof sax.text !== 'string' || sax.text.length < DRAIN_CHARS) {
            this.boundMarkup(sax);
            return;
        }
        const content = state === SAXES_TEXT || state === SAXES_CDATA;
        if (!content && state !== SAXES_COMMENT) {
            this.boundMarkup(sax);
            return;
        }
        const text = sax.text;
        sax.text = '';
        if (content && this.capture !== undefined && (this.current !== undefined || this.capture === 'suite-output')) {
            this.append(text);
            this.continued = true;
        }
    }
    /** Refuses markup saxes would otherwise gather without limit (see MAX_MARKUP_CHARS). */
    boundMarkup(sax) {
        for (const held of [sax.text, sax.name, sax.piTarget, sax.entity]) {
            if (typeof held === 'string' && held.length > MAX_MARKUP_CHARS) {
                throw this.failAt(`an attribute value, name or processing instruction is longer than ${MAX_MARKUP_CHARS} characters (refused to keep memory bounded)`);
            }
        }
        if (Array.isArray(sax.attribList) && sax.attribList.length > MAX_ATTRIBUTES) {
            throw this.failAt(`an element has more than ${MAX_ATTRIBUTES} attributes (refused to keep memory bounded)`);
        }
    }
    append(text) {
        const open = this.current;
        const continued = this.continued;
        this.continued = false;
        if (this.capture === 'suite-output') {
            this.suiteOutputScan?.push(text);
            return;
        }
        if (open === undefined)
            return;
        if (this.capture === 'message') {
            const room = this.limits.messageChars - open.message.length;
            if (room <= 0)
                return;
            const separator = this.separate && !continued && open.message.length > 0 && !open.message.endsWith('\n') && !/^\s/.test(text) ? '\n' : '';
            this.separate = false;
            open.message += separator + sliceWhole$1(text, room);
        }
        else if (this.capture === 'output' && this.outputScan !== undefined) {
            // A testcase that failed or skipped stays so: its output no longer matters.
            if (open.status === 'passed' && this.outputScan.found === undefined)
                this.outputScan.push(text);
        }
        else if (this.capture === 'output') {
            const room = this.limits.outputChars - open.output.length;
            if (room > 0)
                open.output += sliceWhole$1(text, room);
        }
    }
    /** An error at the reader's current position, for problems found outside the XML (encoding). */
    errorHere(reason) {
        return this.failAt(reason);
    }
    failAt(reason) {
        return new ReportParseError(this.fileName, this.lineOffset + this.sax.line, this.sax.column + 1, reason);
    }
    wrap(error) {
        if (error instanceof ReportParseError)
            return error;
        if (error instanceof RangeError) {
            return this.failAt(`a text node is too large to read (${error.message})`);
        }
        const raw = error instanceof Error ? error.message : String(error);
        // saxes messages look like "file:12:5: reason"; keep our own location format.
        const reason = raw.replace(/^.*?:\d+:\d+: /, '');
        return this.failAt(reason);
    }
}
function emptyCase() {
    return { suiteDepth: 0, classname: undefined, name: '', file: undefined, line: undefined, status: 'passed', flaky: false, message: '', output: '', depth: 0 };
}
function newCase(open, attributes, depth, suiteDepth, suiteFiles, pytest = false) {
    const lineText = attributes.line;
    const line = lineText !== undefined && isDigits(lineText) ? Number(lineText) : undefined;
    const statusAttr = attributes.status?.toLowerCase();
    let file = attributes.file ?? attributes.filepath;
    for (let i = suiteFiles.length - 1; file === undefined && i >= 0; i--)
        file = suiteFiles[i];
    open.suiteDepth = suiteDepth;
    open.classname = attributes.classname ?? attributes.class;
    open.name = attributes.name ?? '';
    open.file = file === '' ? undefined : file;
    // pytest's line is 0-based (the engine adds 1 for pytest): keep its line="0" (a test on a file's first line).
    open.line = line === 0 && !pytest ? undefined : line;
    const skippedAttr = attributes.skipped?.toLowerCase();
    const resultAttr = attributes.result === undefined ? undefined : RESULT_ATTR[attributes.result.toLowerCase()];
    open.status =
        resultAttr ?? ((statusAttr !== undefined && SKIPPED_STATUS_ATTR.has(statusAttr)) || skippedAttr === 'true' || skippedAttr === '1' ? 'skipped' : 'passed');
    open.flaky = false;
    open.message = '';
    open.output = '';
    open.depth = depth;
    return open;
}
/** /^\d+$/ without a regular expression per testcase. */
function isDigits(text) {
    if (text.length === 0)
        return false;
    for (let i = 0; i < text.length; i++) {
        const code = text.charCodeAt(i);
        if (code < 0x30 || code > 0x39)
            return false;
    }
    return true;
}
function finishCase(open, suitePath, document, suite) {
    return {
        suitePath,
        classname: open.classname,
        name: open.name,
        file: open.file,
        line: open.line,
        status: open.status,
        flaky: open.flaky,
        message: open.message.length > 0 ? open.message : undefined,
        output: open.output.length > 0 ? open.output : undefined,
        document,
        suite
    };
}
/** text.slice(0, end) without cutting a surrogate pair in two (a lone half would reach the output). */
function sliceWhole$1(text, end) {
    if (text.length <= end)
        return text;
    const last = text.charCodeAt(end - 1);
    return text.slice(0, last >= 0xd800 && last <= 0xdbff ? end - 1 : end);
}
function countNewlines(text) {
    let count = 0;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1))
        count++;
    return count;
}

// Expected tests from the collector: the list a runner prints without running anything
// (`pytest --collect-only -q`, `go test -list .`, `cargo test -- --list`, ...), parsed so the gate
// can name every collected test that no report mentions. A test that is collected but never
// reported (mocha-junit-reporter drops pending tests, libtest drops ignored ones, Catch2 drops a
// test case that made no assertion) is otherwise invisible when it is absent on both backends.
//
// Pure: no I/O. Formats are told apart by content; the file name is only a hint (Catch2's
// --list-test-names-only is bare names, which nothing else can tell apart from noise).
class CollectedParseError extends Error {
    source;
    reason;
    constructor(source, reason) {
        super(`${source}: ${reason}`);
        this.source = source;
        this.reason = reason;
        this.name = 'CollectedParseError';
    }
}
const EMPTY = 'no tests in the collected list (empty, or only the runner’s summary lines); an empty list cannot mean "nothing expected"';
/** Parses one collector output; throws CollectedParseError when the format is unknown or nothing was collected. */
function parseCollected(text, source) {
    const body = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
    const fail = (reason) => {
        throw new CollectedParseError(source, reason);
    };
    if (body.trim() === '')
        fail(EMPTY);
    const lines = body.split('\n');
    const first = body.trimStart()[0];
    let tests;
    if (first === '{' || first === '[')
        tests = parseJson(body, lines, fail);
    else {
        for (const parser of LINE_FORMATS) {
            tests = parser(lines, fail);
            if (tests !== undefined)
                break;
        }
        // Bare names are Catch2's --list-test-names-only only when the file name says so.
        if (tests === undefined && /catch/i.test(source))
            tests = catch2Names(lines);
    }
    if (tests === undefined) {
        if (isFileList(lines)) {
            fail('lists test files, not tests (jest --listTests / vitest list --filesOnly name no tests); use a collector that prints test names');
        }
        const sample = lines.find((line) => line.trim() !== '') ?? '';
        fail(`not a known collector format (first line: ${JSON.stringify(sample.slice(0, 120))}); see "Expected tests from the collector" in the README`);
    }
    if (tests === undefined || tests.length === 0)
        return fail(EMPTY);
    return tests;
}
const blank = (line) => line.trim() === '';
// pytest --collect-only -q: `path::Class::test[param]`, then "N tests collected in 0.01s".
// Anything after a "==== section ====" header is pytest's summary (warnings, errors).
const PYTEST_SUMMARY = /^(\d+(\/\d+)? tests? collected|no tests (collected|ran)\b)/;
function pytest(lines, fail) {
    const tests = [];
    let summary = false;
    for (const line of lines) {
        if (/Interrupted: .*error|^ERROR\b|^\d+ errors?\b|\bcollected, \d+ errors?\b/.test(line)) {
            if (tests.length > 0 || summary)
                fail(`pytest reported collection errors, so the list is incomplete: ${line.trim()}`);
            return undefined;
        }
        if (summary || blank(line) || PYTEST_SUMMARY.test(line))
            continue;
        if (/^=+ .* =+$/.test(line)) {
            summary = true;
            continue;
        }
        const match = /^([^\s:][^\s]*?)::(.+)$/.exec(line);
        if (match === null)
            return undefined;
        const file = match[1];
        // A parameter id may hold "::": split only before the first "[".
        const rest = match[2];
        const bracket = rest.indexOf('[');
        const parts = (bracket < 0 ? rest : rest.slice(0, bracket)).split('::');
        const name = (parts.pop() ?? '') + (bracket < 0 ? '' : rest.slice(bracket));
        const module = file.replace(/\.py$/, '').replace(/[\\/]/g, '.');
        tests.push({ display: line, name, containers: [module, ...parts], file });
    }
    return tests.length > 0 || summary ? tests : undefined;
}
// cargo test -- --list: `path::name: test` per test binary, then "N tests, M benchmarks".
// With cargo's stderr too, "Running <target> (...)" names the binary's source file.
function cargo(lines, fail) {
    const tests = [];
    let file;
    let summaries = 0;
    for (const line of lines) {
        if (blank(line))
            continue;
        if (/^\d+ tests?, \d+ benchmarks?$/.test(line)) {
            summaries++;
            continue;
        }
        const running = /^\s+Running (?:unittests )?(\S+)/.exec(line);
        if (running !== null) {
            file = running[1];
            continue;
        }
        if (/^\s+Doc-tests /.test(line)) {
            file = undefined;
            continue;
        }
        if (/^error(\[\w+\])?:/.test(line))
            fail(`cargo failed to build the tests, so the list is incomplete: ${line}`);
        // cargo's progress lines and compiler warnings (indented, or "warning: ...").
        if (/^\s/.test(line) || /^(warning|note|help)(\[\w+\])?:/.test(line))
            continue;
        const match = /^(.+): (test|bench)$/.exec(line);
        if (match === null)
            return undefined;
        // Benchmarks are not tests the JUnit reports pair.
        if (match[2] === 'bench')
            continue;
        const path = match[1];
        // Doctests ("src/lib.rs - add (line 3)") are one opaque name.
        const parts = path.includes(' - ') ? [path] : path.split('::');
        const name = parts.pop() ?? path;
        tests.push({ display: line, name, containers: parts, ...(file === undefined ? {} : { file }) });
    }
    return summaries > 0 || tests.length > 0 ? tests : undefined;
}
// go test -list .: test names, then "ok  \t<package>\t0.002s" for each package.
const GO_NAME = /^(Test|Example|Fuzz|Benchmark)[\p{L}\p{N}_]*$/u;
function goList(lines, fail) {
    const tests = [];
    let pending = [];
    let packages = 0;
    const flush = (pkg) => {
        // Benchmarks only run with -bench; they are not in a test report.
        for (const name of pending)
            if (!name.startsWith('Benchmark'))
                tests.push({ display: name, name, containers: pkg === undefined ? [] : [pkg] });
        pending = [];
    };
    for (const line of lines) {
        if (blank(line))
            continue;
        const ok = /^ok\s+(\S+)\s/.exec(line + ' ');
        if (ok !== null) {
            packages++;
            flush(ok[1]);
            continue;
        }
        if (/^\?\s+\S+\s+\[no test files\]/.test(line))
            continue;
        if (/^(FAIL\b|# |panic:)/.test(line)) {
            if (tests.length + pending.length + packages > 0)
                fail(`go test failed, so the list is incomplete: ${line}`);
            return undefined;
        }
        if (!GO_NAME.test(line))
            return undefined;
        pending.push(line);
    }
    flush(undefined);
    return packages > 0 || tests.length > 0 ? tests : undefined;
}
// googletest --gtest_list_tests: "Suite." then "  test" lines; "  # GetParam() = ..." comments.
function gtest(lines) {
    const tests = [];
    let suite;
    for (const line of lines) {
        if (blank(line) || line.startsWith('Running main() from '))
            continue;
        const suiteMatch = /^(\S+)\.(\s+#.*)?$/.exec(line);
        if (suiteMatch !== null) {
            suite = suiteMatch[1];
            continue;
        }
        const test = /^ {2}(\S+)(\s+#.*)?$/.exec(line);
        if (test === null || suite === undefined)
            return undefined;
        const name = test[1];
        tests.push({ display: `${suite}.${name}`, name, containers: [suite] });
    }
    return suite === undefined ? undefined : tests;
}
// ctest -N: "Test project <dir>", "  Test #1: name", "Total Tests: N".
function ctestN(lines) {
    const tests = [];
    let header = false;
    for (const line of lines) {
        if (blank(line) || /^Total Tests: \d+$/.test(line))
            continue;
        if (line.startsWith('Test project ')) {
            header = true;
            continue;
        }
        const match = /^\s*Test\s+#\d+: (.+)$/.exec(line);
        if (match === null || !header)
            return undefined;
        const name = match[1].trim();
        tests.push({ display: name, name, containers: [] });
    }
    return header ? tests : undefined;
}
// Catch2 --list-tests (v2, v3): "  name" then "      [tags]", "N test cases". A long name is
// wrapped by Catch2 onto an indented second line: refused (unknown format) rather than guessed.
function catch2List(lines) {
    const tests = [];
    let header = false;
    for (const line of lines) {
        if (blank(line) || /^\d+ (matching )?test cases?$/.test(line))
            continue;
        if (/^(All available|Matching) test cases:$/.test(line)) {
            header = true;
            continue;
        }
        if (!header)
            return undefined;
        if (/^ {6,}\[/.test(line))
            continue;
        const match = /^ {2}(\S.*)$/.exec(line);
        if (match === null)
            return undefined;
        const name = match[1].trimEnd();
        tests.push({ display: name, name, containers: [] });
    }
    return header ? tests : undefined;
}
/** Catch2 --list-test-names-only: one test case name per line, nothing else. */
function catch2Names(lines) {
    return lines.filter((line) => !blank(line)).map((line) => ({ display: line.trim(), name: line.trim(), containers: [] }));
}
// phpunit --list-tests: banner, "Available test(s):", " - Namespace\Class::method[ with data set #0]".
function phpunit(lines) {
    const tests = [];
    let header = false;
    for (const line of lines) {
        if (blank(line) || /^PHPUnit \d/.test(line) || /^(Runtime|Configuration|Random Seed):/.test(line))
            continue;
        if (/^Available tests?(\(s\))?:$/.test(line)) {
            header = true;
            continue;
        }
        const match = /^ - (.+?)::(.+)$/.exec(line);
        if (match === null || !header)
            return undefined;
        tests.push({ display: line.slice(3), name: match[2], containers: [match[1]] });
    }
    return header ? tests : undefined;
}
// vitest list: "[project] file > describe > ... > test".
function vitestText(lines) {
    const tests = [];
    for (const line of lines) {
        if (blank(line))
            continue;
        const withoutProject = line.replace(/^\[[^\]]*\] /, '');
        const parts = withoutProject.split(' > ');
        const file = parts.shift();
        if (parts.length === 0 || !/^\S+\.\w+$/.test(file))
            return undefined;
        const name = parts.pop();
        tests.push({ display: line, name, containers: parts, file });
    }
    return tests.length > 0 ? tests : undefined;
}
// cargo before pytest: `mod::test: test` would also pass for a pytest id.
const LINE_FORMATS = [cargo, pytest, goList, gtest, ctestN, catch2List, phpunit, vitestText];
const SOURCE_FILE = /\.(py|[cm]?[jt]sx?|go|rs|php|java|kts?|scala|groovy|rb|c|cc|cpp|cxx|h|hpp|cs|fs|exs?|swift|dart|lua|vue|svelte|feature)$/;
function isFileList(lines) {
    const used = lines.filter((line) => !blank(line));
    return used.length > 0 && used.every((line) => SOURCE_FILE.test(line.trim()) && !/\s>\s|::/.test(line));
}
function parseJson(body, lines, fail) {
    let value;
    try {
        value = JSON.parse(body);
    }
    catch {
        // go test -list . -json: one JSON event per line.
        return goJson(lines, fail);
    }
    if (Array.isArray(value))
        return vitestJson(value);
    if (!isObject(value))
        return undefined;
    if (value.kind === 'ctestInfo' && Array.isArray(value.tests))
        return ctestJson(value);
    if (isObject(value.stats) && Array.isArray(value.tests))
        return mochaJson(value);
    if (typeof value.Action === 'string')
        return goJson(lines, fail);
    return undefined;
}
function isObject(value) {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}
/** vitest list --json: [{ name: "describe > test", file, projectName? }]. */
function vitestJson(entries) {
    const tests = [];
    for (const entry of entries) {
        if (!isObject(entry) || typeof entry.name !== 'string' || typeof entry.file !== 'string')
            return undefined;
        const parts = entry.name.split(' > ');
        const name = parts.pop();
        tests.push({ display: `${entry.file} > ${entry.name}`, name, containers: parts, file: entry.file });
    }
    return tests;
}
/**
 * mocha --dry-run --reporter json: `tests` holds every test (pending ones too; `pending` is
 * merged in case a version lists them apart). fullTitle joins describe titles with spaces, which
 * cannot be split back: the describe path is kept as one container.
 */
function mochaJson(report) {
    const tests = [];
    const seen = new Set();
    for (const entry of [...report.tests, ...(Array.isArray(report.pending) ? report.pending : [])]) {
        if (!isObject(entry) || typeof entry.title !== 'string' || typeof entry.fullTitle !== 'string')
            return undefined;
        const file = typeof entry.file === 'string' ? entry.file : undefined;
        const key = `${file ?? ''}\u0000${entry.fullTitle}`;
        if (seen.has(key))
            continue;
        seen.add(key);
        const { title, fullTitle } = entry;
        const describe = fullTitle.endsWith(` ${title}`) ? fullTitle.slice(0, -title.length - 1) : '';
        tests.push({ display: fullTitle, name: title, containers: describe === '' ? [] : [describe], ...(file === undefined ? {} : { file }) });
    }
    return tests;
}
/** ctest --show-only=json-v1: tests[].name; the backtrace graph gives add_test()'s file and line. */
function ctestJson(info) {
    const graph = isObject(info.backtraceGraph) ? info.backtraceGraph : {};
    const files = Array.isArray(graph.files) ? graph.files : [];
    const nodes = Array.isArray(graph.nodes) ? graph.nodes : [];
    const tests = [];
    for (const entry of info.tests) {
        if (!isObject(entry) || typeof entry.name !== 'string')
            return undefined;
        const node = typeof entry.backtrace === 'number' ? nodes[entry.backtrace] : undefined;
        const file = isObject(node) && typeof node.file === 'number' ? files[node.file] : undefined;
        const line = isObject(node) && typeof node.line === 'number' ? node.line : undefined;
        tests.push({
            display: entry.name,
            name: entry.name,
            containers: [],
            ...(typeof file === 'string' ? { file } : {}),
            ...(line === undefined ? {} : { line })
        });
    }
    return tests;
}
/** go test -list . -json: each package's output lines, read as plain `go test -list`. */
function goJson(lines, fail) {
    const output = [];
    for (const line of lines) {
        if (blank(line))
            continue;
        let event;
        try {
            event = JSON.parse(line);
        }
        catch {
            return undefined;
        }
        if (!isObject(event) || typeof event.Action !== 'string')
            return undefined;
        if (event.Action === 'output' && typeof event.Output === 'string')
            output.push(...event.Output.split('\n'));
        if (event.Action === 'fail')
            fail(`go test failed for ${String(event.Package)}, so the list is incomplete`);
    }
    return goList(output, fail);
}
/**
 * Applies `backend-in-name` patterns (the named group `backend`) to the name and containers with
 * identity.ts's removeBackend, the same removal and cleaning as for report names, so
 * `test_x[sqlite]` and `test_x[postgres]` both become `test_x` and match the ids the engine builds
 * with the same config. `display` is left as the collector wrote it, so a report still points at
 * the real line.
 */
function stripBackendWords(test, patterns) {
    if (patterns.length === 0)
        return test;
    const strip = (text) => removeBackend(text, patterns).text;
    return { ...test, name: removeBackend(test.name, patterns, true).text, containers: test.containers.map(strip) };
}
/*
 * Matching rule (findUnreported). A collected test is reported when some reported id
 * (parts joined by ' › ') satisfies all of:
 *  1. Its last part equals the test's name, or the name preceded by a tail of the containers
 *     joined by ' ', ' > ', '::', '.' or '/' (jest/mocha write "describe title", vitest
 *     "describe > title", nextest "mod::test", ctest from googletest "Suite.test"). A last part
 *     "X/..." also reports X (Go subtests, Catch2 sections: the parent ran).
 *  2. The containers not used in (1) are consistent with the id's other parts: split into
 *     tokens at '.', '::', '/', '\', '$' and spaces, they appear in order among the id's tokens,
 *     and their last one or two are the id's last tokens before the name (the classname,
 *     package or class: identify() puts it last). A file part also ends in its tokens without
 *     the extension (`tests/x.py` → `tests`, `x`): pytest ids name the module once, as the
 *     path. So `tests/x.py::TestA::test_b` (containers `tests.x`, `TestA`) matches
 *     `tests/x.py › TestA › test_b` and `tests.x.TestA › test_b`.
 *  3. When the collector names a file and the id has file parts (a path, or a source file
 *     name such as `a.test.mjs`), one of them is the same file (equal, or one ends with '/'
 *     + the other: absolute vs workspace-relative). An id with no file part does not decide.
 * Cost: reported ids are indexed by last part (and by last part + last tokens, and by last
 * part + file name), so each collected test costs a few map look-ups and a short bucket scan.
 */
const JOINERS = [' ', ' > ', '::', '.', '/'];
class ReportedIndex {
    byName = new Set();
    /** Last part → some entry has no file part (so a collected file cannot contradict it). */
    withoutFile = new Set();
    /** `${last part}\0${last token}` and `${last part}\0${last two tokens}` of the prefix → entries. */
    byClass = new Map();
    /** `${last part}\0${base name of a file part}` → entries. */
    byFile = new Map();
    prefixes = new Map();
    /** Tokens per container string: the same modules and classes recur in every collected test. */
    containerTokens = new Map();
    constructor(ids) {
        for (const id of ids) {
            const cut = id.lastIndexOf(ID_SEPARATOR);
            const name = cut < 0 ? id : id.slice(cut + ID_SEPARATOR.length);
            const entry = this.entry(cut < 0 ? '' : id.slice(0, cut));
            this.add(name, entry);
            const slash = name.indexOf('/');
            if (slash > 0)
                this.add(name.slice(0, slash), entry);
        }
    }
    entry(prefix) {
        let entry = this.prefixes.get(prefix);
        if (entry === undefined) {
            const parts = prefix === '' ? [] : prefix.split(ID_SEPARATOR);
            const t = parts.flatMap(tokens);
            const stems = parts.flatMap((part) => tokens(isFilePart(part) ? part.replace(SOURCE_FILE, '') : part));
            const lasts = new Set([tail(t, 1), tail(t, 2), tail(stems, 1), tail(stems, 2)]);
            lasts.delete('');
            entry = { tokens: t, files: parts.filter(isFilePart).map(normalizePath$1), lasts: [...lasts] };
            this.prefixes.set(prefix, entry);
        }
        return entry;
    }
    add(name, entry) {
        this.byName.add(name);
        if (entry.files.length === 0)
            this.withoutFile.add(name);
        for (const last of entry.lasts)
            push(this.byClass, name + last, entry);
        for (const file of entry.files)
            push(this.byFile, `${name}\u0000${baseName(file)}`, entry);
    }
    has(test) {
        const { name, containers } = test;
        const file = test.file === undefined ? undefined : normalizePath$1(test.file);
        if (this.byName.has(name) && this.matches(name, containers, file))
            return true;
        // Longer keys: a tail of the containers joined to the name, the rest checked as containers.
        for (const joiner of JOINERS) {
            let key = name;
            for (let k = containers.length - 1; k >= 0; k--) {
                key = containers[k] + joiner + key;
                if (this.byName.has(key) && this.matches(key, containers.slice(0, k), file))
                    return true;
            }
        }
        return false;
    }
    tokensOf(containers) {
        const out = [];
        for (const container of containers) {
            let t = this.containerTokens.get(container);
            if (t === undefined) {
                t = tokens(container);
                this.containerTokens.set(container, t);
            }
            out.push(...t);
        }
        return out;
    }
    matches(key, rest, file) {
        if (rest.length === 0) {
            if (file === undefined || this.withoutFile.has(key))
                return true;
            return (this.byFile.get(`${key}\u0000${baseName(file)}`) ?? []).some((entry) => fileOk(entry, file));
        }
        const wanted = this.tokensOf(rest);
        if (wanted.length === 0)
            return false;
        const bucket = this.byClass.get(key + tail(wanted, Math.min(2, wanted.length))) ?? [];
        return bucket.some((entry) => fileOk(entry, file) && inOrder(wanted, entry.tokens));
    }
}
/** The last `count` tokens as a key suffix (after the name): containers end with the id's last tokens. */
function tail(tokens, count) {
    return tokens.length < count ? '' : `\u0000${count}\u0000${tokens.slice(-count).join('\u0000')}`;
}
function fileOk(entry, file) {
    return file === undefined || entry.files.length === 0 || entry.files.some((f) => sameFile(f, file));
}
/** The collected tests that no reported id matches (see the matching rule above). */
function findUnreported(collected, reportedIds) {
    const index = new ReportedIndex(reportedIds);
    return collected.filter((test) => !index.has(test));
}
function push(map, key, entry) {
    const list = map.get(key);
    if (list === undefined)
        map.set(key, [entry]);
    else if (list[list.length - 1] !== entry)
        list.push(entry);
}
function tokens(text) {
    return text.split(/::|[./\\$\s]+/).filter((token) => token !== '');
}
/** `wanted` is a subsequence of `have`. */
function inOrder(wanted, have) {
    let i = 0;
    for (const token of have)
        if (token === wanted[i] && ++i === wanted.length)
            return true;
    return i === wanted.length;
}
function isFilePart(part) {
    return !/\s/.test(part) && (/[\\/]/.test(part) || SOURCE_FILE.test(part));
}
function normalizePath$1(path) {
    return path.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
}
function baseName(path) {
    return path.slice(path.lastIndexOf('/') + 1);
}
function sameFile(a, b) {
    return a === b || a.endsWith(`/${b}`) || b.endsWith(`/${a}`);
}

// Failures that show the database was not reachable or not ready, so the gate can group them:
// "postgres: 40 tests could not reach the database (connection refused)", with the fix.
//
// Every phrase below comes from a text a real client printed on a real machine: psql/libpq,
// psycopg2, psycopg 3, node-postgres, Go lib/pq and pgx, pgJDBC, the mariadb client, PyMySQL and
// node mysql2 (tests/fixtures/unreachable/, regenerated by scripts/collect-unreachable.sh). The
// few phrases no client here could be made to print are marked "hand-written" with their source.
//
// Pure and linear: the message is lower-cased once and searched for fixed phrases with indexOf;
// the one phrase with a variable part (database "NAME" does not exist) looks back a bounded
// number of characters from each fixed anchor. No regular expression, so a hostile 16 KiB
// message costs a few passes over it and nothing more.
/** One sentence each: what to change so the tests reach a ready database. */
const UNREACHABLE_FIX = {
    'connection refused': 'Nothing was listening on the database host and port when the tests connected: give the database service a health check (`--health-cmd pg_isready`, MySQL `mysqladmin ping`), wait for it before the test step, and check the host and port the tests use (`localhost` and the mapped port from the runner, the service name from a job container).',
    timeout: 'The connection attempt got no answer in time: check that the host and port point at the database service (a wrong address, a firewall or an overloaded server drops the connection) and wait for readiness with `pg_isready` before the tests start.',
    'unknown host': 'The database host name did not resolve: use the service name only from a job that runs in a container on the same network, and `localhost` with the mapped port from a job that runs on the runner itself.',
    'database starting up': 'The server was still starting, or restarting after a crash, when the tests connected: wait until `pg_isready` succeeds (a service health check such as `--health-cmd pg_isready --health-interval 2s --health-retries 15`) before the tests run, and look in the server log for a crash.',
    'database shutting down': 'The server was being stopped while the tests ran: make sure no step, fixture or test stops or restarts the database before the test step has finished.',
    'authentication failed': "The server rejected the tests' credentials: make the user and password the tests use (PGUSER/PGPASSWORD or DATABASE_URL) match the service's (POSTGRES_USER/POSTGRES_PASSWORD; MySQL MYSQL_USER/MYSQL_PASSWORD and the user's grants).",
    'no pg_hba.conf entry': "pg_hba.conf has no line that admits this host, user and database, or one that rejects them: add a `host` line for the runner's address with scram-sha-256 (the postgres image's POSTGRES_HOST_AUTH_METHOD), or connect as a user and database an existing line admits.",
    'too many clients': 'Every connection slot was taken: close connections between tests, lower the pool size or the number of parallel test workers, or raise max_connections on the service (`postgres -c max_connections=200`).',
    'connection reset': 'The server or something in front of it ended the connection mid-test (a crash, pg_terminate_backend, a restart, or a port proxy with no server behind it yet): look in the server log for the reason, and wait for readiness before the tests start.',
    'database does not exist': 'The database the tests connect to was never created: set POSTGRES_DB (MySQL MYSQL_DATABASE) on the service, or create it in a setup step before the tests run.'
};
// Checked in this order; the first phrase found wins. Phrases are lower-case.
// Order matters where one text holds two phrases: Go's "lookup db on 127.0.0.1:53: ... read:
// connection refused" is a DNS failure; "Can't connect to MySQL server on 'db' ([Errno -2] Name or
// service not known)" is too; a reset text often ends in a libpq "server closed the connection".
const RULES = [
    [
        'unknown host',
        [
            'could not translate host name', // libpq: psql, psycopg2
            'name or service not known', // getaddrinfo EAI_NONAME: libpq, psycopg 3, PyMySQL
            'temporary failure in name resolution', // getaddrinfo EAI_AGAIN
            'getaddrinfo enotfound', // node-postgres, mysql2
            'getaddrinfo eai_again',
            'dial tcp: lookup ', // Go lib/pq: "dial tcp: lookup db.invalid on 127.0.0.1:53: no such host"
            'hostname resolving error', // pgx
            'unknownhostexception', // pgJDBC's cause, in the Surefire failure body
            'unknown server host', // mariadb client: "Unknown server host 'db.invalid' (-2)"
            'unknown mysql server host' // hand-written: MySQL client error 2005 (MySQL documentation)
        ]
    ],
    [
        'timeout',
        [
            'timeout expired', // libpq "failed: timeout expired", node-postgres, psycopg 3 "connection timeout expired"
            'connection attempt timed out', // pgJDBC
            'connection terminated due to connection timeout', // node-postgres (connectionTimeoutMillis, other versions)
            'connect etimedout', // mysql2, node-postgres
            'connection timed out' // hand-written: strerror(ETIMEDOUT), libpq without connect_timeout
        ]
    ],
    ['no pg_hba.conf entry', ['no pg_hba.conf entry', 'pg_hba.conf rejects connection']],
    [
        'authentication failed',
        [
            'authentication failed for user', // password / md5 / scram; hand-written: peer, ident
            'fe_sendauth: no password supplied', // libpq
            'client password must be a string', // node-postgres SCRAM without a password
            'authentication, but no password was provided', // pgJDBC SCRAM without a password
            'failed sasl auth', // pgx
            'access denied for user' // MySQL 1045 (credentials) and 1044 (no grant on the database)
        ]
    ],
    [
        'too many clients',
        [
            'too many clients already',
            'remaining connection slots are reserved',
            'too many connections' // MySQL 1040; PostgreSQL's per-role and per-database limits
        ]
    ],
    [
        'database starting up',
        [
            'the database system is starting up',
            'the database system is not yet accepting connections', // crash recovery
            'the database system is not accepting connections', // standby with hot_standby = off
            'the database system is in recovery mode' // just after a backend crash
        ]
    ],
    [
        'database shutting down',
        [
            'the database system is shutting down',
            'server shutdown in progress' // hand-written: MySQL error 1053 (MySQL documentation)
        ]
    ],
    [
        'connection reset',
        [
            'terminating connection due to administrator command', // pg_terminate_backend, fast shutdown
            'terminating connection because of crash of another server process',
            'terminating connection due to immediate shutdown', // psql's WARNING on pg_ctl stop -m immediate
            'server closed the connection unexpectedly', // libpq
            'connection terminated unexpectedly', // node-postgres
            'an i/o error occurred while sending to the backend', // pgJDBC, mid-query
            'the connection attempt failed', // pgJDBC, any I/O error while connecting (its UnknownHostException is caught above)
            'failed to receive message', // pgx: "failed to receive message (unexpected EOF)" while connecting
            'connection reset by peer', // Go, libpq, psycopg, PyMySQL, pgJDBC's cause
            'econnreset', // node
            'lost connection to mysql server', // PyMySQL, MySQL client 2013
            'lost connection to server', // mariadb client 2013
            'connection lost: the server closed the connection', // mysql2
            'mysql server has gone away', // hand-written: MySQL client error 2006 (MySQL documentation)
            'server has gone away'
        ]
    ],
    [
        'connection refused',
        [
            'connection refused', // libpq, Go, pgJDBC's cause, PyMySQL "[Errno 111] Connection refused"
            'econnrefused', // node
            'accepting tcp/ip connections', // pgJDBC "... that the postmaster is accepting TCP/IP connections."
            'accepting connections on that socket', // libpq, psycopg 3 over a Unix socket that is not there
            'connection is bad: no such file or directory', // psycopg 3's first line for the same
            "can't connect to mysql server", // PyMySQL 2003, MySQL client 2003
            "can't connect to server on", // mariadb client 2002 "(115)" / "(111)"
            "can't connect to local mysql server", // hand-written: MySQL client error 2002 over the socket
            "can't connect to local server"
        ]
    ]
];
/** What the MySQL "Can't connect" texts (one client error for every cause) say after the host. */
const MYSQL_CANT_CONNECT = ["can't connect to mysql server", "can't connect to server on"];
/**
 * Which of the known ways of not reaching the database `message` shows, or undefined for an
 * ordinary failure (an assertion, a SQL error, a missing table, a statement timeout).
 * Case-insensitive; linear in the length of the message.
 */
function unreachableCause(message) {
    const text = message.toLowerCase();
    for (const [cause, phrases] of RULES) {
        if (cause === 'timeout' && (mysqlTimedOut(text) || goDialTimedOut(text)))
            return 'timeout';
        for (const phrase of phrases)
            if (text.includes(phrase))
                return cause;
        // Placed with the credentials and grants: both name the database the tests asked for.
        if (cause === 'authentication failed' && databaseMissing(text))
            return 'database does not exist';
        if (cause === 'connection reset' && unixSocketMissing(text))
            return 'connection refused';
    }
    return undefined;
}
/** MySQL's "Can't connect to ... server on 'host' (110)" or "(timed out)": a connect timeout. */
function mysqlTimedOut(text) {
    for (const head of MYSQL_CANT_CONNECT) {
        const at = text.indexOf(head);
        if (at < 0)
            continue;
        // The reason follows within the line: "(110)", "(timed out)", "([Errno 110] ...)".
        const end = lineEnd(text, at);
        const line = text.slice(at, end);
        if (line.includes('(110)') || line.includes('timed out') || line.includes('errno 110'))
            return true;
    }
    return false;
}
/** Go's net package: "dial tcp 127.0.0.1:5432: i/o timeout" (lib/pq; pgx adds "timeout: "). */
function goDialTimedOut(text) {
    const at = text.indexOf('dial tcp ');
    if (at < 0)
        return false;
    return text.slice(at, lineEnd(text, at)).includes('i/o timeout');
}
function lineEnd(text, from) {
    const newline = text.indexOf('\n', from);
    return newline < 0 ? text.length : newline;
}
/** Longest database name looked back over: PostgreSQL names are at most 63 bytes, quotes doubled. */
const MAX_NAME_CHARS$1 = 200;
const DOES_NOT_EXIST = '" does not exist';
const DATABASE_QUOTE = 'database "';
/**
 * PostgreSQL's `database "NAME" does not exist` (not `relation "NAME" does not exist`), or MySQL's
 * `Unknown database 'NAME'`. Each `" does not exist` is an anchor; from it, at most
 * MAX_NAME_CHARS characters are looked back over for the name's opening quote, so the whole scan
 * stays linear however many anchors a hostile text holds.
 */
function databaseMissing(text) {
    if (text.includes("unknown database '"))
        return true;
    for (let anchor = text.indexOf(DOES_NOT_EXIST); anchor >= 0; anchor = text.indexOf(DOES_NOT_EXIST, anchor + 1)) {
        const stop = Math.max(0, anchor - MAX_NAME_CHARS$1);
        let quote = anchor - 1;
        // The opening quote: the nearest '"' before the anchor that is not one of a doubled pair.
        while (quote >= stop) {
            if (text.charCodeAt(quote) === 0x22) {
                if (quote > 0 && text.charCodeAt(quote - 1) === 0x22) {
                    quote -= 2;
                    continue;
                }
                break;
            }
            quote--;
        }
        if (quote < stop || quote < DATABASE_QUOTE.length - 1)
            continue;
        if (text.startsWith(DATABASE_QUOTE, quote - DATABASE_QUOTE.length + 1))
            return true;
    }
    return false;
}
/**
 * A client that connects over a Unix socket that is not there: Go's
 * "dial unix /run/postgresql/.s.PGSQL.5432: connect: no such file or directory", node's
 * "connect ENOENT /run/postgresql/.s.PGSQL.5432". (libpq's text says "accepting connections on
 * that socket", a refused-connection phrase of its own.)
 */
function unixSocketMissing(text) {
    const socket = text.indexOf('.s.pgsql.');
    if (socket < 0)
        return false;
    return text.includes('no such file or directory') || text.includes('connect enoent');
}

/** Backend-level gaps name no single test; their `test` is this marker. */
const WHOLE_BACKEND = '*';

// Redaction of credentials in text taken from reports. Applied where report text enters the
// verdict, so nothing downstream (check run, summary, annotations, logs, JSON) ever sees it.
// `core.setSecret` masking only covers the runner's log, not text sent through the API.
const MASK = '***';
/** What a secret becomes in every output. */
const REDACTION_MASK = MASK;
/**
 * scheme://user:password@host → scheme://user:***@host; scheme://token@host → scheme://***@host.
 * The userinfo runs to the LAST "@" of the whitespace-free token after "scheme://", so a password
 * with any printable character ("#", "?", "/", "+", "=", "%40", an unencoded "@") is masked whole;
 * the user ends at its first ":". Linear: a bounded scheme, then one run of non-blanks per match.
 */
const URL_TOKEN = /\b([a-z][a-z0-9+.-]{1,30}:\/\/)(\S*)/gi;
/**
 * The key of password=..., pwd: ..., PGPASSWORD=..., "password": "..." (DSNs, query strings, env
 * dumps, JSON). The value is scanned by hand (scanValue): its end depends on the form.
 */
const KEY = /\b([a-z_]*?(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key)["']?)([ \t]*[=:][ \t]*)/gi;
const BEARER = /\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{8,}/gi;
const KNOWN_TOKENS = [
    /\bgh[pousr]_[A-Za-z0-9]{30,}/g,
    /\bgithub_pat_[A-Za-z0-9_]{20,}/g,
    /\bAKIA[0-9A-Z]{16}\b/g,
    /\bxox[abpr]-[A-Za-z0-9-]{10,}/g
];
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g;
/**
 * Guards: a literal (or a much cheaper pattern) that every match of a rule contains, so a text
 * without it is left alone by that rule. PRIVATE_KEY needs "-----BEGIN ", URL_USERINFO "://",
 * KEY_VALUE a "=" or ":" and one of its key words, BEARER its word and a blank after it
 * (non-Unicode /i never folds a non-ASCII letter to an ASCII one), each token its fixed prefix.
 */
const KEY_WORD = /password|passwd|passphrase|pwd|secret|token|api[_-]?key/i;
const BEARER_WORD = /b(?:earer|asic)\s/i;
const TOKEN_LITERALS = ['gh', 'github_pat_', 'AKIA', 'xox'];
/** Values shorter than this are not treated as secrets: masking "1" or "on" would shred the text. */
const MIN_SECRET_LENGTH = 4;
function createRedactor(secretValues = [], options = {}) {
    return buildRedactor(secretValues, options);
}
function buildRedactor(secretValues, options, guarded) {
    const publicWords = new Set((options.publicWords ?? []).map((word) => word.toLowerCase()));
    const secrets = expandSecrets(secretValues).filter((secret) => !publicWords.has(secret.toLowerCase()));
    const patterns = secrets.map(secretPattern);
    return (text) => {
        if (text.length === 0)
            return text;
        let out = text;
        for (const pattern of patterns)
            out = out.replace(pattern, MASK);
        // Each built-in rule runs only when the text holds what every match of it holds (see the
        // guards above): the same result, without nine regular-expression scans of every test id.
        if (out.includes('-----BEGIN '))
            out = out.replace(PRIVATE_KEY, `-----BEGIN PRIVATE KEY----- ${MASK}`);
        if (out.includes('://'))
            out = out.replace(URL_TOKEN, maskUrlToken);
        if (((out.includes('=') || out.includes(':')) && KEY_WORD.test(out)))
            out = maskKeyValues(out);
        if (BEARER_WORD.test(out))
            out = out.replace(BEARER, (_match, scheme, space) => `${scheme}${space}${MASK}`);
        for (let i = 0; i < KNOWN_TOKENS.length; i++) {
            if (out.includes(TOKEN_LITERALS[i]))
                out = out.replace(KNOWN_TOKENS[i], MASK);
        }
        return out;
    };
}
/** The userinfo of a URL token (the text after "scheme://"): up to its last "@", if it is one. */
function splitUserinfo(rest) {
    const at = rest.lastIndexOf('@');
    if (at < 0)
        return undefined;
    const userinfo = rest.slice(0, at);
    const colon = userinfo.indexOf(':');
    const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
    // A user never holds "/", "?" or "#": with one, the "@" is in a path (…/r@v1), not a credential.
    if (/[/?#]/.test(user))
        return undefined;
    return { user, password: colon < 0 ? undefined : userinfo.slice(colon + 1), at };
}
function maskUrlToken(match, scheme, rest) {
    const parts = splitUserinfo(rest);
    if (parts === undefined || (parts.password === undefined && parts.user.length === 0))
        return match;
    const host = rest.slice(parts.at);
    return parts.password === undefined ? `${scheme}${MASK}${host}` : `${scheme}${parts.user}:${MASK}${host}`;
}
/**
 * Masks the value after each key. One pass: the key pattern resumes after the value it masked,
 * and each line is looked at once (whether it holds a ";"), so the whole is linear.
 */
function maskKeyValues(text) {
    const key = new RegExp(KEY.source, KEY.flags);
    let out = '';
    let copied = 0;
    let lineStart = 0;
    let lineEnd = -1;
    let lineHasSemicolon = false;
    for (let match = key.exec(text); match !== null; match = key.exec(text)) {
        const valueStart = match.index + match[0].length;
        if (valueStart > lineEnd) {
            // The lines between the last one and this are never looked at again.
            lineStart = text.lastIndexOf('\n', match.index - 1) + 1;
            const next = text.indexOf('\n', match.index);
            lineEnd = next < 0 ? text.length : next;
            lineHasSemicolon = text.slice(lineStart, lineEnd).includes(';');
        }
        const before = match.index > 0 ? text[match.index - 1] : '';
        let maskFrom = valueStart;
        let valueEnd = scanValue(text, valueStart, lineEnd, before === '?' || before === '&', lineHasSemicolon);
        if (valueEnd === valueStart && isLineEnd(text, valueStart)) {
            // "password:" at the end of a line (YAML, a pretty-printed config): its value is the first
            // word of the next line, after its indentation.
            let next = valueStart + (text[valueStart] === '\r' && text[valueStart + 1] === '\n' ? 2 : 1);
            while (next < text.length && (text[next] === ' ' || text[next] === '\t'))
                next++;
            const nextEnd = text.indexOf('\n', next);
            lineStart = text.lastIndexOf('\n', next - 1) + 1;
            lineEnd = nextEnd < 0 ? text.length : nextEnd;
            lineHasSemicolon = text.slice(lineStart, lineEnd).includes(';');
            maskFrom = next;
            valueEnd = scanValue(text, next, lineEnd, false, lineHasSemicolon);
        }
        if (valueEnd === maskFrom) {
            key.lastIndex = valueStart;
            continue;
        }
        out += text.slice(copied, maskFrom) + MASK;
        copied = valueEnd;
        key.lastIndex = valueEnd;
    }
    return copied === 0 ? text : out + text.slice(copied);
}
/**
 * Where a value starting at `start` ends. Quoted ('…' or "…", backslash escapes, a doubled quote
 * continues it): to the closing quote, or the end of the line when there is none. In a query
 * string (the key follows "?" or "&"): to "&" or a blank. Otherwise to a blank (libpq), and when
 * the line holds a ";" (ADO.NET, Npgsql) to the ";" or the end of the line if that is further.
 */
function scanValue(text, start, lineEnd, inQuery, lineHasSemicolon) {
    const first = text[start];
    if (first === "'" || first === '"') {
        let i = start + 1;
        while (i < lineEnd) {
            const char = text[i];
            if (char === '\\')
                i += 2;
            else if (char === first) {
                if (text[i + 1] === first)
                    i += 2;
                else
                    return i + 1;
            }
            else
                i++;
        }
        return Math.min(i, lineEnd);
    }
    let blank = start;
    while (blank < lineEnd && !/\s/.test(text[blank]) && !(inQuery && text[blank] === '&'))
        blank++;
    if (inQuery || !lineHasSemicolon)
        return blank;
    const semicolon = text.indexOf(';', start);
    const adoEnd = semicolon < 0 || semicolon > lineEnd ? lineEnd : semicolon;
    return trimEnd(text, start, Math.max(blank, adoEnd));
}
function isLineEnd(text, at) {
    return at < text.length && (text[at] === '\n' || text[at] === '\r');
}
function trimEnd(text, start, end) {
    while (end > start && /\s/.test(text[end - 1]))
        end--;
    return end;
}
/**
 * A configured value, plus the parts of it that are secrets on their own (a URL's password, as
 * written, decoded and encoded): every form the redactor looks for, longest first.
 */
function expandSecrets(values) {
    const out = new Set();
    for (const raw of values) {
        const value = raw.trim();
        if (value.length < MIN_SECRET_LENGTH)
            continue;
        out.add(value);
        // The password of a URL-valued secret, up to the value's last "@" (new URL() would stop it at
        // "#" or "?"), as written, decoded and re-encoded. The value is one URL, so a blank typed into
        // its password (not valid in a URL, accepted by libpq) belongs to the password too.
        const url = /^[a-z][a-z0-9+.-]{1,30}:\/\/(.*)$/is.exec(value);
        const password = url === null ? undefined : splitUserinfo(url[1])?.password;
        if (password !== undefined) {
            const decoded = safeDecode(password);
            for (const part of [password, decoded, encodeURIComponent(decoded), encodeURIComponent(password)]) {
                if (part.length >= MIN_SECRET_LENGTH)
                    out.add(part);
            }
        }
    }
    // Longest first, so a URL is masked whole before its password alone.
    return [...out].sort((a, b) => b.length - a.length);
}
function safeDecode(text) {
    try {
        return decodeURIComponent(text);
    }
    catch {
        return text;
    }
}
/**
 * Matches the value even when a line break (and indentation) was inserted anywhere inside it.
 * Linear: between two characters, "\r?\n" then the indentation taken atomically ((?=(x*))\N);
 * a blank character of the value may have been swallowed by that indentation.
 */
function secretPattern(value) {
    const chars = [...value];
    let source = escapeRegExp(chars[0]);
    let group = 0;
    for (const char of chars.slice(1)) {
        const literal = escapeRegExp(char);
        if (char === '\r' || char === '\n') {
            source += literal;
            continue;
        }
        group++;
        const wrapped = `\\r?\\n(?=([ \\t]*))(?:\\${group})${char === ' ' || char === '\t' ? '' : literal}`;
        source += `(?:${literal}|${wrapped})`;
    }
    return new RegExp(source, 'g');
}
function escapeRegExp(text) {
    return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}
/**
 * Cuts text to at most `maxChars` without leaving half a secret behind: a credential cut in two
 * no longer matches any pattern, so the cut goes back to the last line break (or space).
 * Redact first, then cut.
 */
function truncateSafely(text, maxChars) {
    if (text.length <= maxChars)
        return { text, truncated: false };
    let cut = text.slice(0, maxChars);
    const lineBreak = cut.lastIndexOf('\n');
    const space = cut.search(/\s\S*$/);
    if (lineBreak > maxChars / 2)
        cut = cut.slice(0, lineBreak);
    else if (space > maxChars / 2)
        cut = cut.slice(0, space);
    else
        cut = cut.slice(0, Math.max(0, maxChars - 64));
    // Never end on the first half of a surrogate pair (an emoji cut in two shows as U+FFFD).
    const last = cut.charCodeAt(cut.length - 1);
    if (last >= 0xd800 && last <= 0xdbff)
        cut = cut.slice(0, -1);
    return { text: cut, truncated: true };
}

const PASSED = 1;
const FAILED = 2;
const ERRORED = 3;
const SKIPPED = 4;
const ANY_FAILURE = 1 << 3;
const ANY_PASS = 1 << 4;
const FLAKY_MARK = 1 << 5;
const MARKER_SKIP = 1 << 6;
const ANY_ERRORED = 1 << 7;
const ANY_SKIPPED = 1 << 8;
/** The id came twice on one backend from different suite elements or files: two tests, not a rerun. */
const COLLISION = 1 << 9;
const STATUS_BITS = 10;
/** Distinct testcase names kept per shared id: enough to count how many tests a backend is short. */
const MAX_RAW_KINDS = 64;
/** By case code (missing, passed, failed, errored, skipped): which message explains the test best. */
const SEVERITY = [0, 1, 3, 4, 2];
const CASE_CODE = { passed: PASSED, failed: FAILED, errored: ERRORED, skipped: SKIPPED };
/** Lines and characters of a message shown with a gap. */
const GAP_MESSAGE_LINES = 12;
const GAP_MESSAGE_CHARS = 2_000;
class BackendState {
    name;
    files = 0;
    statuses = new Uint16Array(1024);
    /** Per test: how many testcases carried its id, and where the last one stood (file serial and suite). */
    seen = new Uint32Array(1024);
    seenAt = new Float64Array(1024);
    /** Tests whose id several distinct testcases share: the report files they came from (first few). */
    collisions = new Map();
    /**
     * Per test, a hash of the first testcase's own words (suites, classname and name as the report
     * wrote them); and for tests whose id testcases with different words share (the backend cut from
     * `TestNotes/sqlite` leaves Go's parent `TestNotes`), the distinct hashes: how many tests that is.
     * A set, so neither the order of files nor reruns and repeats of one test change it.
     */
    rawFirst = new Int32Array(1024);
    rawKinds = new Map();
    details = new Map();
    errors = [];
    jobResult;
    constructor(name) {
        this.name = name;
    }
    mark(index, code, flags) {
        if (index >= this.statuses.length) {
            const length = Math.max(index + 1, this.statuses.length * 2);
            const grown = new Uint16Array(length);
            grown.set(this.statuses);
            this.statuses = grown;
            const seen = new Uint32Array(length);
            seen.set(this.seen);
            this.seen = seen;
            const seenAt = new Float64Array(length);
            seenAt.set(this.seenAt);
            this.seenAt = seenAt;
            const rawFirst = new Int32Array(length);
            rawFirst.set(this.rawFirst);
            this.rawFirst = rawFirst;
        }
        const previous = this.statuses[index];
        this.statuses[index] = (previous & -8 & ~MARKER_SKIP) | code | flags;
    }
    /**
     * Counts one more testcase with this id and tells whether it collides with an earlier one: a
     * runner's own rerun repeats a failed testcase inside the same suite element of the same file;
     * any other repeat is a second test that shares the id. Independent of the order of files and
     * suite elements: with two or more distinct places, some consecutive pair differs whatever the order.
     */
    occurrence(index, where, raw, path, previousPath) {
        if (index >= this.statuses.length)
            this.mark(index, 0, 0);
        const count = this.seen[index] + 1;
        this.seen[index] = count;
        const before = this.seenAt[index];
        this.seenAt[index] = where;
        if (count === 1)
            this.rawFirst[index] = raw;
        else if (raw !== this.rawFirst[index]) {
            let kinds = this.rawKinds.get(index);
            if (kinds === undefined)
                this.rawKinds.set(index, (kinds = new Set([this.rawFirst[index]])));
            if (kinds.size < MAX_RAW_KINDS)
                kinds.add(raw);
        }
        let files = this.collisions.get(index);
        // A rerun follows failed attempts only: a repeat after a pass in the same place is a second test.
        const afterPass = (this.statuses[index] & ANY_PASS) !== 0;
        if (files === undefined && (count === 1 || (before === where && !afterPass)))
            return false;
        if (files === undefined) {
            files = new Set();
            const earlier = previousPath(before);
            if (earlier !== undefined)
                files.add(earlier);
            this.collisions.set(index, files);
        }
        if (files.size < 5)
            files.add(path);
        return true;
    }
    hasTests() {
        return this.statuses.some((bits) => bits !== 0);
    }
    status(index) {
        return index < this.statuses.length ? this.statuses[index] : 0;
    }
}
class CoverageEngine {
    config;
    options;
    ids = new IdTable();
    identifier;
    /** The index the next testcase probably has: reports list tests in the same order on every backend. */
    expected = -1;
    /** normalizeFile() of the last file attribute: consecutive testcases share it. */
    lastFile = { raw: undefined, normalized: undefined };
    /** Per test: its file as an index into `files` (-1: none) and its line (0: none; see lineAt). */
    fileOf = new Int32Array(1024);
    lineOf = new Uint32Array(1024);
    /** Lines a Uint32Array cannot hold as given (0, huge, fractional): rare. */
    oddLines = new Map();
    files = [];
    fileIds = new Map();
    lastFileId = { file: undefined, id: -1 };
    states;
    crossLeg = new Map();
    errors = [];
    unassigned = 0;
    /** Failed or errored testcases that pairing set aside (see keepUnpairedFailure). */
    unpaired = new Map();
    /** Report paths by ReportFile.serial. */
    reportPaths = [];
    unscopedCache = new Map();
    lastState;
    driftSources = [];
    /** Collected test lists (the runner's own collection), with the backends that must report them. */
    collected = [];
    constructor(config, options) {
        this.config = config;
        this.options = options;
        this.states = new Map(config.backends.map((b) => [b.name, new BackendState(b.name)]));
        this.identifier = new Identifier(config);
    }
    /**
     * What the reader keeps of each testcase: of its output, the first line with a skip marker,
     * found by scanning all of it as it streams (a marker after megabytes of log still counts).
     */
    parserLimits = {
        ...DEFAULT_LIMITS,
        outputLine: (line) => {
            if (this.watchEvidence)
                this.observeEvidence(line);
            return this.isSkipMarkerLine(line);
        },
        onProperty: (name, value) => {
            if (this.watchEvidence)
                this.observeEvidence(`${name}=${value}`);
        },
        onSuiteOutputLine: (line) => {
            if (this.watchEvidence)
                this.observeEvidence(line);
        }
    };
    /** Backends of the report file being read (evidence found in it is theirs). */
    currentBackends = [];
    evidenceFound = new Map();
    foreignEvidence = new Map();
    get watchEvidence() {
        return this.config.evidence.size > 0;
    }
    /**
     * `evidence:` in the config: a backend's reports must show that its server ran (a version a
     * canary test prints, a suite property). A match of another backend's evidence is kept too:
     * SQLite's version in the postgres job means the storage factory fell back to SQLite.
     */
    observeEvidence(text) {
        const line = visibleLine(text);
        for (const [backend, patterns] of this.config.evidence) {
            const match = matchAny(patterns, line);
            if (match === undefined)
                continue;
            for (const reportBackend of this.currentBackends) {
                if (reportBackend === backend) {
                    if (!this.evidenceFound.has(backend))
                        this.evidenceFound.set(backend, this.evidenceSample(line, match));
                }
                else {
                    let foreign = this.foreignEvidence.get(reportBackend);
                    if (foreign === undefined)
                        this.foreignEvidence.set(reportBackend, (foreign = new Map()));
                    if (!foreign.has(backend))
                        foreign.set(backend, this.evidenceSample(line, match));
                }
            }
        }
    }
    evidenceSample(line, match) {
        // The match with a little context, redacted: enough to show which server, never a whole log line.
        const from = Math.max(0, match.index - 40);
        const text = line.slice(from, match.index + match[0].length + 80).trim();
        return flatCopy(this.options.redact(text.length > 160 ? `${text.slice(0, 160)}…` : text));
    }
    /** Declares a report file before its testcases arrive; `backends` are the backends whose globs matched it. */
    openFile(path, backends) {
        for (const backend of backends)
            this.state(backend).files += 1;
        this.currentBackends = backends;
        this.reportPaths.push(path);
        return { path, backends, serial: this.reportPaths.length - 1 };
    }
    /**
     * An earlier inventory to compare with (the base branch's check run, a --baseline verdict, the
     * committed inventory file): a storage test it holds that no backend reports now has vanished.
     */
    compareWith(source) {
        this.driftSources.push(source);
    }
    /**
     * A runner's collected test list (`pytest --collect-only -q`, `go test -list .`, ...): each
     * collected, in-scope test must be reported. One that no backend reports is `missing` on each
     * of `backends` ("collected but never reported"); one some backend reports is paired as usual.
     */
    expectCollected(source, backends, tests) {
        const patterns = this.config.backendInName;
        this.collected.push({ source, backends: [...backends], tests: patterns.length === 0 ? [...tests] : tests.map((t) => stripBackendWords(t, patterns)) });
    }
    /** This run's inventory, sorted by id (see digest()). */
    inventory() {
        const inventory = decodeDigest(this.digest());
        inventory.tests.sort((a, b) => compareIds(a.id, b.id));
        return inventory;
    }
    /**
     * This run's inventory as a digest, for the next run to compare with: every in-scope test id
     * with the backends that reported it. Ids are redacted (a pytest id may hold a DSN): the digest
     * leaves the run like any other text. Written from the id table's heads and tails, so no id is
     * built as a string (a million ids of 64 nested suites would be gigabytes).
     */
    digest() {
        const backends = this.config.backends.map((b) => b.name);
        const states = backends.map((name) => this.state(name));
        const writer = new DigestWriter(backends);
        const redact = this.options.redact;
        // Heads are shared by a class's ids; classes may alternate, so remember each head's mask.
        const maskedHeads = new Map();
        for (let index = 0; index < this.reportedIds; index++) {
            let mask = 0;
            for (let b = 0; b < states.length; b++)
                if (states[b].status(index) !== 0)
                    mask |= 1 << b;
            if (mask === 0)
                continue;
            const head = this.ids.headAt(index);
            let maskedHead = maskedHeads.get(head);
            if (maskedHead === undefined) {
                if (maskedHeads.size >= 65_536)
                    maskedHeads.clear();
                maskedHead = redact(head);
                maskedHeads.set(head, maskedHead);
            }
            writer.add(maskedHead, redact(this.ids.tailAt(index)), mask);
        }
        return writer.finish();
    }
    /** Ids interned from reports (earlier inventories' ids are interned after them, to look them up). */
    get reportedIds() {
        return this.reportedIdCount ?? this.ids.size;
    }
    reportedIdCount;
    /** What the secret spotter found in one report file (src/core/secret-spotter.ts). */
    secretsInReport(file, spotted) {
        if (spotted.values === 0)
            return;
        for (const backend of file.backends) {
            const known = this.reportSecrets.get(backend) ?? { files: 0, values: 0, testcases: 0, names: [], byShape: false };
            known.files += 1;
            known.values += spotted.values;
            known.testcases += spotted.testcases;
            known.names = [...new Set([...known.names, ...spotted.names])].sort();
            known.byShape ||= spotted.byShape;
            this.reportSecrets.set(backend, known);
        }
    }
    reportSecrets = new Map();
    /** Per backend: testcases `scope` left out, and the first distinct ids (a too-wide pattern shows here). */
    outOfScope = new Map();
    noteOutOfScope(backend, head, tail) {
        let entry = this.outOfScope.get(backend);
        if (entry === undefined)
            this.outOfScope.set(backend, (entry = { testcases: 0, ids: new Set() }));
        entry.testcases += 1;
        if (entry.ids.size < OUT_OF_SCOPE_LISTED)
            entry.ids.add(flatCopy(head + tail));
    }
    /** The workflow's `needs.<job>.result` for a backend's job (failure, cancelled, skipped). */
    setJobResult(backend, result) {
        this.state(backend).jobResult = result;
    }
    fileError(file, error) {
        const entry = { ...error, message: this.options.redact(error.message) };
        this.errors.push(entry);
        if (typeof file !== 'string')
            for (const backend of file.backends)
                this.state(backend).errors.push(entry);
    }
    addTestcase(file, testcase) {
        const testFile = this.normalizedFile(testcase.file);
        const { head, tail, namedBackend } = this.identifier.identifyParts(testcase, testFile);
        let backend;
        if (namedBackend !== undefined) {
            if (!file.backends.includes(namedBackend)) {
                this.noteCrossLeg(head + tail, namedBackend, file.backends.join('+'));
                this.keepUnpairedFailure(file, testcase, head, tail, testFile, `its name names ${namedBackend}, but it ran in a report of ${file.backends.join('+')}`);
                return;
            }
            backend = namedBackend;
        }
        else if (file.backends.length === 1) {
            backend = file.backends[0];
        }
        else {
            this.unassigned += 1;
            this.keepUnpairedFailure(file, testcase, head, tail, testFile, `its name names no backend, and the report is shared by ${file.backends.join('+')}`);
            return;
        }
        if (backend === undefined)
            return;
        if (!this.inScope(head, tail, testFile)) {
            this.noteOutOfScope(backend, head, tail);
            return;
        }
        const index = this.indexOf(head, tail, testFile, reportedLine(testcase));
        const state = this.state(backend);
        let code = CASE_CODE[testcase.status];
        let flags = 0;
        let detail;
        if (code === PASSED && testcase.output !== undefined) {
            const marker = this.findSkipMarker(testcase.output);
            if (marker !== undefined) {
                code = SKIPPED;
                flags |= MARKER_SKIP;
                detail = { message: flatCopy(marker), markerSkip: true };
            }
        }
        if (code === PASSED)
            flags |= ANY_PASS;
        if (code === FAILED || code === ERRORED)
            flags |= ANY_FAILURE;
        if (testcase.flaky)
            flags |= FLAKY_MARK;
        if (detail === undefined && (code !== PASSED || testcase.flaky) && testcase.message !== undefined) {
            detail = { message: flatCopy(this.cleanMessage(testcase.message)) };
            if (testFile === undefined)
                Object.assign(detail, this.locate(testcase.message, code === SKIPPED));
        }
        if (testcase.status === 'errored')
            flags |= ANY_ERRORED;
        if (code === SKIPPED)
            flags |= ANY_SKIPPED;
        if (state.occurrence(index, file.serial * 1e7 + Math.min(testcase.suite, 9_999_999), this.rawHash(testcase), file.path, (where) => this.reportPaths[Math.floor(where / 1e7)])) {
            flags |= COLLISION;
        }
        state.mark(index, code, flags);
        // The worst result's message is kept (a later pass keeps the failure that explains a flaky test);
        // among equals the first stays.
        if (detail !== undefined) {
            detail.severity = SEVERITY[code];
            const kept = state.details.get(index);
            if (kept === undefined || (kept.severity ?? 0) < detail.severity)
                state.details.set(index, detail);
        }
    }
    /** Suite paths are shared by a suite's testcases: their hash is worked out once per path. */
    suiteHashes = new WeakMap();
    /** FNV-1a over the testcase's suites, classname and name as written (no file: workspaces differ between jobs). */
    rawHash(testcase) {
        let hash = this.suiteHashes.get(testcase.suitePath);
        if (hash === undefined) {
            hash = 0x811c9dc5;
            for (const suite of testcase.suitePath)
                hash = fnv(fnv(hash, suite), '\u0001');
            this.suiteHashes.set(testcase.suitePath, hash);
        }
        return fnv(fnv(fnv(hash, testcase.classname ?? '\u0000'), '\u0002'), testcase.name);
    }
    verdict() {
        const backends = this.config.backends.map((b) => b.name);
        const today = this.options.now.toISOString().slice(0, 10);
        const exemptionUse = this.config.exemptions.map(() => ({ matched: false, excused: new Set() }));
        const gaps = [];
        const flaky = [];
        const summaries = new Map(backends.map((name) => {
            const state = this.state(name);
            const summary = { name, files: state.files, tests: 0, passed: 0, failed: 0, errored: 0, skipped: 0, flaky: 0 };
            if (state.jobResult !== undefined)
                summary.jobResult = state.jobResult;
            const left = this.outOfScope.get(name);
            if (left !== undefined)
                summary.outOfScope = left.testcases;
            const secrets = this.reportSecrets.get(name);
            if (secrets !== undefined)
                summary.secretsInReports = secrets;
            if (this.config.evidence.size > 0) {
                const found = this.evidenceFound.get(name);
                summary.evidence = { ...(found === undefined ? {} : { found }), foreign: Object.fromEntries(this.foreignEvidence.get(name) ?? []) };
            }
            return [name, summary];
        }));
        // A backend with no report or no test has one backend-level gap: listing every test as missing there is noise.
        const silenced = new Set(backends.filter((name) => this.state(name).files === 0 || !this.state(name).hasTests()));
        const states = backends.map((name) => this.state(name));
        const summaryList = backends.map((name) => summaries.get(name));
        const finals = backends.map(() => 'missing');
        const hasExemptions = this.config.exemptions.length > 0;
        const size = this.ids.size;
        // Per backend, tests by final status (STATUS_NAMES order), and the tests that did not pass
        // everywhere: small loops over typed arrays (fast even before the optimiser has run).
        const counts = states.map(() => new Float64Array(STATUS_NAMES.length));
        const codes = states.map((state) => finalCodes(state.statuses, size));
        const notPassed = new Uint8Array(size);
        codes.forEach((list, b) => countCodes(list, counts[b], notPassed));
        const width = states.length;
        for (let index = 0; index < size; index++) {
            // Passed everywhere and no exemption to match: nothing more to say about this test.
            if (notPassed[index] === 0 && !hasExemptions)
                continue;
            for (let b = 0; b < width; b++)
                finals[b] = STATUS_NAMES[codes[b][index]];
            const id = this.ids.idAt(index);
            const file = this.fileAt(index);
            // Every exemption that matches counts, whatever their order: a skip or absence is excused
            // when any of them excuses it, and each of those is credited with it.
            const matching = hasExemptions ? this.matchingExemptions(id, file) : NONE;
            for (const i of matching)
                exemptionUse[i].matched = true;
            const ranSomewhere = matching.length > 0 && finals.some((s) => s === 'passed' || s === 'flaky');
            const excusers = matching.length === 0 ? [] : backends.map((name, b) => this.excusers(matching, name, finals[b], states[b].details.get(index), today, ranSomewhere));
            // A skip-reason declaration is about this test only when one of its skips says that reason.
            const contradicted = ranSomewhere
                ? matching.find((i) => {
                    const e = this.config.exemptions[i];
                    if (e.noBackend !== true)
                        return false;
                    return e.skipReason === undefined || states.some((state, b) => skipSaysReason(e, finals[b], state.details.get(index)));
                })
                : undefined;
            const expiredOne = matching.length === 0 ? undefined : matching.map((i) => this.config.exemptions[i]).find((e) => e.until !== undefined && e.until < today);
            for (let b = 0; b < width; b++) {
                const status = finals[b];
                if (status === 'passed')
                    continue;
                const name = backends[b];
                const state = states[b];
                const detail = state.details.get(index);
                if (status === 'flaky') {
                    flaky.push(withMessage({ test: id, backend: name }, detail?.message));
                    if (this.config.flaky === 'warn')
                        continue;
                }
                const excusedBy = excusers[b] ?? NONE;
                if (excusedBy.length > 0) {
                    for (const i of excusedBy)
                        exemptionUse[i]?.excused.add(id);
                    continue;
                }
                if (status === 'missing' && silenced.has(name))
                    continue;
                const others = othersOf(backends, finals, b, excusers);
                const expired = expiredOne !== undefined && (status === 'missing' || status === 'skipped');
                const gap = {
                    test: id,
                    backend: name,
                    kind: status,
                    reason: testReason(status, name, others, detail, expiredOne?.until, expired) +
                        collisionNote(state, index) +
                        (contradicted === undefined || (status !== 'missing' && status !== 'skipped') ? '' : noBackendNote(this.config.exemptions[contradicted])),
                    others
                };
                if (detail?.message !== undefined)
                    gap.message = detail.message;
                const line = file !== undefined ? this.lineAt(index) : detail?.line;
                if (file !== undefined || detail?.file !== undefined)
                    gap.file = file ?? detail?.file;
                if (line !== undefined)
                    gap.line = line;
                gaps.push(gap);
            }
        }
        this.fewerInstancesGaps(states, codes, gaps, silenced, today, exemptionUse);
        states.forEach((_, b) => {
            const summary = summaryList[b];
            const count = counts[b];
            for (let code = 1; code < STATUS_NAMES.length; code++) {
                summary.tests += count[code];
                summary[STATUS_NAMES[code]] += count[code];
            }
        });
        const backendGaps = this.backendGaps([...summaries.values()]);
        this.collectedGaps(gaps, silenced, today);
        const drift = this.driftSources.map((source) => this.compareDrift(source, gaps));
        const allGaps = [...backendGaps, ...sortGaps([...gaps, ...this.unpaired.values()])];
        const exemptions = this.config.exemptions.map((exemption, i) => {
            const use = exemptionUse[i];
            const expired = exemption.until !== undefined && exemption.until < today;
            const state = !use.matched ? 'stale' : expired ? 'expired' : use.excused.size > 0 ? 'used' : 'unused';
            const report = {
                test: exemption.tests.map((t) => t.source).join(', ') || '*',
                backends: exemption.backends,
                reason: exemption.reason,
                state,
                excused: [...use.excused].sort()
            };
            if (exemption.until !== undefined)
                report.until = exemption.until;
            if (exemption.skipReason !== undefined)
                report.skipReason = exemption.skipReason.source;
            if (exemption.noBackend === true)
                report.noBackend = true;
            return report;
        });
        const unreachable = groupUnreachable(allGaps);
        const conclusion = allGaps.length === 0 && this.errors.length === 0 ? 'success' : 'failure';
        const verdict = {
            conclusion,
            title: '',
            backends: summaryList,
            tests: this.reportedIds,
            gaps: allGaps,
            exemptions,
            flaky: flaky.sort((a, b) => a.test.localeCompare(b.test) || a.backend.localeCompare(b.backend)),
            crossLeg: [...this.crossLeg.values()],
            unassigned: this.unassigned,
            ...(unreachable.length === 0 ? {} : { unreachable }),
            outOfScope: [...this.outOfScope].flatMap(([backend, entry]) => [...entry.ids].sort(compareIds).map((test) => ({ test: this.options.redact(test), backend }))),
            errors: this.errors,
            drift
        };
        verdict.title = verdictTitle(verdict);
        return verdict;
    }
    /**
     * Compares with one earlier inventory. A test it holds that is in scope now and that no backend
     * reports is `vanished` (a gap with drift: fail, a notice with drift: warn) unless a `removed:`
     * entry acknowledges it. A test still reported by some backend but missing on another is already
     * a `missing` gap there: pairing covers it.
     */
    compareDrift(source, gaps) {
        const report = { label: source.label, compared: false, baseTests: 0, vanished: [], acknowledged: [], leftScope: 0, added: 0 };
        if (this.config.drift === 'off')
            return { ...report, reason: 'drift: off in the config' };
        if (source.inventory === undefined && source.digest === undefined)
            return { ...report, reason: source.notCompared ?? 'no earlier inventory was found' };
        this.reportedIdCount ??= this.ids.size;
        const reported = this.reportedIdCount;
        const matched = new Uint8Array(reported);
        let matchedCount = 0;
        const vanished = [];
        // Earlier ids are redacted (see inventory()): one holding a mask is looked up among the masked ids.
        let masked;
        const visit = (id, backends) => {
            report.baseTests += 1;
            const test = { id, backends };
            let index = this.ids.intern(test.id);
            if (index >= reported && test.id.includes(REDACTION_MASK)) {
                masked ??= this.maskedIds(reported);
                index = masked.get(test.id) ?? index;
            }
            if (index < reported) {
                if (matched[index] === 0)
                    matchedCount += 1;
                matched[index] = 1;
                return;
            }
            const firstPart = test.id.split(ID_SEPARATOR, 1)[0];
            if (!this.scopeAdmits(test.id, firstPart)) {
                report.leftScope += 1;
                return;
            }
            const removal = this.config.removed.find((entry) => matchesAny(entry.tests, [test.id, firstPart]));
            if (removal !== undefined)
                report.acknowledged.push({ test: this.options.redact(test.id), reason: removal.reason });
            else
                vanished.push(test);
        };
        if (source.inventory !== undefined) {
            for (const test of source.inventory.tests)
                visit(test.id, test.backends);
        }
        else {
            try {
                readDigest(source.digest, visit);
            }
            catch (error) {
                // Nothing of a damaged inventory counts (ids it added to the table stay past `reported`).
                return { ...report, baseTests: 0, acknowledged: [], leftScope: 0, reason: error.message };
            }
        }
        report.compared = true;
        // An earlier inventory may list one (masked) id twice: one vanished test.
        const unique = [...new Map(vanished.map((test) => [test.id, test])).values()];
        vanished.length = 0;
        vanished.push(...unique);
        report.added = reported - matchedCount;
        report.vanished = vanished.map((test) => this.options.redact(test.id));
        if (this.config.drift === 'fail' && vanished.length > 0) {
            const renamedTo = this.renameHints(vanished, matched, reported);
            for (const test of vanished) {
                const where = test.backends.length > 0 ? `reported on ${test.backends.join(' and ')} at ${source.label}` : `listed in ${source.label}`;
                const hint = renamedTo.get(test.id);
                gaps.push({
                    test: test.id,
                    backend: test.backends.length > 0 ? test.backends.join('+') : this.config.backends.map((b) => b.name).join('+'),
                    kind: 'vanished',
                    reason: `${where}, reported by no backend now (deleted, renamed, filtered out or ignored)` +
                        (hint === undefined ? '' : `; renamed to "${this.options.redact(hint)}"?`) +
                        '; if it was removed on purpose, add it to `removed:` in the config with a reason',
                    others: {}
                });
            }
        }
        return report;
    }
    /**
     * Two tests can share an id (Go's parent test and its `/sqlite` subtest once the backend is cut
     * from the name, jest's `a` › `b c` and `a b` › `c`): when one backend reports more differently
     * named testcases under it than another, one of those tests did not run there, even though the
     * id passed on both. A gap on each backend that has fewer, unless an exemption excuses the
     * absence there. Repeats of one testcase (reruns, `-count=2`, a matrix) are one test, not more.
     */
    fewerInstancesGaps(states, codes, gaps, silenced, today, exemptionUse) {
        const shared = new Set();
        for (const state of states)
            for (const index of state.rawKinds.keys())
                shared.add(index);
        if (shared.size === 0)
            return;
        const already = new Set(gaps.map((gap) => `${gap.backend}\0${gap.test}`));
        for (const index of [...shared].sort((a, b) => a - b)) {
            const counts = states.map((state, b) => (codes[b][index] === 0 ? 0 : (state.rawKinds.get(index)?.size ?? 1)));
            const most = Math.max(...counts);
            const id = this.ids.idAt(index);
            const file = this.fileAt(index);
            const matching = this.config.exemptions.length > 0 ? this.matchingExemptions(id, file) : NONE;
            const fullest = states[counts.indexOf(most)];
            states.forEach((state, b) => {
                const count = counts[b];
                // Absent altogether: the missing gap already says so.
                if (count === 0 || count === most || silenced.has(state.name) || already.has(`${state.name}\0${id}`))
                    return;
                const excusedBy = this.excusers(matching, state.name, 'missing', undefined, today, true);
                for (const i of excusedBy)
                    exemptionUse[i]?.excused.add(id);
                if (excusedBy.length > 0)
                    return;
                const where = [...(fullest.collisions.get(index) ?? [])].sort().join(', ');
                const gap = {
                    test: id,
                    backend: state.name,
                    kind: 'missing',
                    reason: `${most} differently named testcases share this id on ${fullest.name}${where === '' ? '' : ` (${where})`}, ${count} on ${state.name}: ` +
                        `${most - count === 1 ? 'one of those tests' : `${most - count} of those tests`} did not run on ${state.name}`,
                    others: Object.fromEntries(states.flatMap((other, o) => (other === state ? [] : [[other.name, STATUS_NAMES[codes[o][index]]]])))
                };
                if (file !== undefined) {
                    gap.file = file;
                    const line = this.lineAt(index);
                    if (line !== undefined)
                        gap.line = line;
                }
                gaps.push(gap);
            });
        }
    }
    collectedGaps(gaps, silenced, today) {
        if (this.collected.length === 0)
            return;
        const reported = this.reportedIdCount ?? this.ids.size;
        const ids = this.ids;
        const everyId = function* () {
            for (let index = 0; index < reported; index++)
                yield ids.idAt(index);
        };
        // One index of the reported ids for all lists: findUnreported hands back the tests it was given.
        const unreported = new Set(findUnreported(this.collected.flatMap((list) => list.tests), everyId()));
        const seen = new Set();
        for (const list of this.collected) {
            for (const test of list.tests) {
                if (!unreported.has(test))
                    continue;
                const file = test.file;
                if (!this.scopeAdmits(test.display, file ?? test.display))
                    continue;
                const matching = this.matchingExemptions(test.display, file);
                for (const backend of list.backends) {
                    if (silenced.has(backend) || seen.has(`${backend}\0${test.display}`))
                        continue;
                    if (this.excusers(matching, backend, 'missing', undefined, today, false).length > 0)
                        continue;
                    seen.add(`${backend}\0${test.display}`);
                    const gap = {
                        test: test.display,
                        backend,
                        kind: 'missing',
                        reason: `collected (${list.source}) but never reported on ${backend}: no report names it (a pending, ignored or assertion-free test the reporter leaves out, or a filter?)`,
                        others: {}
                    };
                    if (file !== undefined)
                        gap.file = file;
                    if (test.line !== undefined)
                        gap.line = test.line;
                    gaps.push(gap);
                }
            }
        }
    }
    /** Indices of the exemptions whose test patterns match (an exemption with none matches every test). */
    matchingExemptions(id, file) {
        const found = [];
        this.config.exemptions.forEach((e, i) => {
            if (e.tests.length === 0 || matchesAny(e.tests, [id, file]))
                found.push(i);
        });
        return found;
    }
    /** Which of the matching exemptions excuse this status on this backend (none when it passed or failed). */
    excusers(matching, backend, status, detail, today, ranSomewhere) {
        if (status !== 'missing' && status !== 'skipped')
            return NONE;
        const excused = [];
        for (const i of matching) {
            const e = this.config.exemptions[i];
            if (e.until !== undefined && e.until < today)
                continue;
            // For no configured backend: a test that passes on one is not that, and its skips elsewhere are gaps.
            if (e.noBackend === true && ranSomewhere)
                continue;
            if (e.backends.includes(backend))
                continue;
            if (e.skipReason !== undefined) {
                // By skip reason: only a skip whose message says why, on a backend it is not expected to run on.
                if (!skipSaysReason(e, status, detail))
                    continue;
            }
            excused.push(i);
        }
        return excused;
    }
    /** Current ids that redaction changes, masked, with their index. */
    maskedIds(reported) {
        const masked = new Map();
        const redact = this.options.redact;
        for (let index = 0; index < reported; index++) {
            // Masked the way digest() masks: head and tail on their own.
            const head = this.ids.headAt(index);
            const tail = this.ids.tailAt(index);
            const id = redact(head) + redact(tail);
            if (id !== head + tail && !masked.has(id))
                masked.set(id, index);
        }
        return masked;
    }
    /** A new test with the same last id part as a vanished one was probably that test, renamed or moved. */
    renameHints(vanished, matched, reported) {
        const lastPart = (id) => {
            const at = id.lastIndexOf(ID_SEPARATOR);
            return at < 0 ? id : id.slice(at + ID_SEPARATOR.length);
        };
        const wanted = new Map(vanished.map((test) => [lastPart(test.id), test.id]));
        const hints = new Map();
        for (let index = 0; index < reported && hints.size < wanted.size; index++) {
            if (matched[index] === 1)
                continue;
            const id = this.ids.idAt(index);
            const from = wanted.get(lastPart(id));
            if (from !== undefined && !hints.has(from))
                hints.set(from, id);
        }
        return hints;
    }
    scopeAdmits(id, file) {
        const { include, exclude } = this.config;
        const candidates = [id, file];
        return (include.length === 0 || matchesAny(include, candidates)) && !matchesAny(exclude, candidates);
    }
    backendGaps(summaries) {
        const gaps = [];
        const patterns = new Map(this.config.backends.map((b) => [b.name, b.reports.join(', ')]));
        for (const summary of summaries) {
            const { name } = summary;
            const job = summary.jobResult !== undefined && summary.jobResult !== 'success' ? `; its job's result is "${summary.jobResult}"` : '';
            const base = { test: WHOLE_BACKEND, backend: name, others: {} };
            const errors = this.state(name).errors.length;
            const unreadable = errors > 0 ? `; ${errors} report file(s) could not be read` : '';
            if (summary.files === 0) {
                gaps.push({ ...base, kind: 'no-report', reason: `no report file matched ${patterns.get(name) ?? 'its globs'}${job}` });
            }
            else if (summary.tests === 0) {
                gaps.push({
                    ...base,
                    kind: 'empty',
                    reason: `${summary.files} report file(s) but no test in scope${unreadable}${job}`
                });
            }
            else if (summary.tests < this.config.minTests) {
                gaps.push({
                    ...base,
                    kind: 'too-few',
                    reason: `${summary.tests} test(s) in scope, fewer than min-tests ${this.config.minTests}${job}`
                });
            }
            if (summary.secretsInReports !== undefined && this.config.secretsInReports === 'fail') {
                gaps.push({ ...base, kind: 'exposed', reason: `${exposureSentence(name, summary.secretsInReports)} (secrets-in-reports: fail)` });
            }
            const evidence = this.config.evidence.get(name);
            if (summary.files > 0 && summary.tests > 0 && evidence !== undefined && summary.evidence?.found === undefined) {
                const foreign = Object.entries(summary.evidence?.foreign ?? {})
                    .map(([other, sample]) => `; they show ${other} instead ("${sample}")`)
                    .join('');
                gaps.push({
                    ...base,
                    kind: 'unproven',
                    reason: `no ${name} report shows evidence that ${name} ran (evidence: ${evidence.map((p) => `/${p.source}/`).join(' or ')})${foreign}: the job may have run on another backend (a storage factory that falls back when DATABASE_URL is missing?)`
                });
            }
        }
        return gaps;
    }
    state(name) {
        // Testcases come a file (one backend) at a time: the last state is nearly always the one.
        const last = this.lastState;
        if (last !== undefined && last.name === name)
            return last;
        let state = this.states.get(name);
        if (state === undefined) {
            state = new BackendState(name);
            this.states.set(name, state);
        }
        this.lastState = state;
        return state;
    }
    indexOf(head, tail, file, line) {
        const known = this.ids.size;
        const index = this.ids.intern(head, tail, this.expected);
        if (index === known) {
            if (index >= this.fileOf.length) {
                const fileOf = new Int32Array(this.fileOf.length * 2);
                fileOf.set(this.fileOf);
                this.fileOf = fileOf;
                const lineOf = new Uint32Array(this.lineOf.length * 2);
                lineOf.set(this.lineOf);
                this.lineOf = lineOf;
            }
            this.fileOf[index] = file === undefined ? -1 : this.fileId(file);
            if (line === undefined)
                this.lineOf[index] = 0;
            else if (Number.isInteger(line) && line >= 1 && line <= 0xffffffff)
                this.lineOf[index] = line;
            else
                this.oddLines.set(index, line);
        }
        this.expected = index + 1;
        return index;
    }
    fileId(file) {
        // Consecutive tests share their file (the same string from normalizedFile): no lookup then.
        if (file === this.lastFileId.file)
            return this.lastFileId.id;
        let id = this.fileIds.get(file);
        if (id === undefined) {
            id = this.files.length;
            const copy = flatCopy(file);
            this.files.push(copy);
            this.fileIds.set(copy, id);
        }
        this.lastFileId = { file, id };
        return id;
    }
    fileAt(index) {
        const id = this.fileOf[index];
        return id < 0 ? undefined : this.files[id];
    }
    lineAt(index) {
        const line = this.lineOf[index];
        if (line !== 0)
            return line;
        return this.oddLines.size === 0 ? undefined : this.oddLines.get(index);
    }
    normalizedFile(file) {
        const last = this.lastFile;
        if (file !== last.raw) {
            // Copied: the attribute may be a slice of a whole chunk of the report.
            const raw = file === undefined ? undefined : flatCopy(file);
            this.lastFile = { raw, normalized: normalizeFile(raw, this.options.pathRoots ?? []) };
        }
        return this.lastFile.normalized;
    }
    inScope(head, tail, file) {
        const { include, exclude } = this.config;
        if (include.length === 0 && exclude.length === 0)
            return true;
        const id = head + tail;
        const key = file === undefined ? id : `${file}\0${id}`;
        let scoped = this.unscopedCache.get(key);
        if (scoped === undefined) {
            const candidates = [id, file];
            scoped = (include.length === 0 || matchesAny(include, candidates)) && !matchesAny(exclude, candidates);
            // Only cache the answer per file when the file decides it; ids are unique, caching them costs memory.
            if (file !== undefined && this.unscopedCache.size < 100_000)
                this.unscopedCache.set(key, scoped);
        }
        return scoped;
    }
    findSkipMarker(output) {
        // Line by line, as a person reads the log: colour codes gone, no match across two lines.
        for (const raw of eachLine(output)) {
            const line = visibleLine(raw);
            if (this.markerIn(line))
                return this.cleanMessage(line);
        }
        return undefined;
    }
    isSkipMarkerLine(raw) {
        return this.markerIn(visibleLine(raw));
    }
    markerIn(line) {
        for (const marker of this.config.skipMarkers)
            if (marker.test(line))
                return true;
        return false;
    }
    cleanMessage(raw) {
        // A colour code whose ESC was neutralised by the decoder is noise in a summary.
        const redacted = pytestKeyLines(this.withoutWorkspacePaths(this.options.redact(raw).replace(/\ufffd\[[0-9;]*[A-Za-z]/g, '')));
        const lines = redacted.split('\n', GAP_MESSAGE_LINES + 1);
        const firstLines = lines.slice(0, GAP_MESSAGE_LINES).join('\n').trim();
        const { text, truncated } = truncateSafely(firstLines, GAP_MESSAGE_CHARS);
        return truncated || lines.length > GAP_MESSAGE_LINES ? `${text}\n…` : text;
    }
    /** `/home/runner/work/app/app/tests/x.py:28` reads as `tests/x.py:28`: the runner's checkout path is noise. */
    withoutWorkspacePaths(message) {
        let out = message;
        for (const root of this.options.pathRoots ?? []) {
            const prefix = root.replace(/[\\/]+$/, '');
            if (prefix.length < 2)
                continue;
            // Only where a path starts: `file:///work/app/x` keeps its root (cut, it would read `file://x`).
            out = out.replace(new RegExp(`(^|[^\\w/\\\\.:-])${escapeRegExp$1(prefix)}[/\\\\]`, 'g'), '$1');
        }
        return out;
    }
    /**
     * Where the message says the test is: the test's own frame of a failure's traceback, or the
     * test-file location that pytest (`test_x.py:12: requires postgresql`) and go test
     * (`store_test.go:42: DATABASE_URL not set`) write into a skip. A skip names no other frame:
     * a path in its reason is not where the test is.
     */
    locate(message, skip) {
        const frame = testFrame(message);
        if (frame === undefined || (skip && !isTestFile(frame.path)))
            return {};
        return { file: normalizeFile(flatCopy(frame.path), this.options.pathRoots ?? []), line: frame.line };
    }
    /**
     * Pairing may set a testcase aside (it names another backend, or no backend in a shared report),
     * but a failure never disappears with it: it becomes a gap of its own, on the report's backends.
     */
    keepUnpairedFailure(file, testcase, head, tail, testFile, why) {
        if (testcase.status !== 'failed' && testcase.status !== 'errored')
            return;
        if (!this.inScope(head, tail, testFile))
            return;
        const test = head + tail;
        const backend = file.backends.join('+');
        const key = `${test}\0${backend}\0${file.path}\0${testcase.status}`;
        if (this.unpaired.has(key))
            return;
        const kind = testcase.status;
        const gap = {
            test,
            backend,
            kind,
            reason: `${kind} in ${file.path}, not paired with another backend: ${why}`,
            others: {}
        };
        if (testcase.message !== undefined) {
            const message = flatCopy(this.cleanMessage(testcase.message));
            if (message !== '')
                gap.message = message;
        }
        const located = testFile !== undefined ? { file: testFile, line: reportedLine(testcase) } : this.locate(testcase.message ?? '', false);
        if (located.file !== undefined)
            gap.file = located.file;
        if (located.line !== undefined)
            gap.line = located.line;
        // Bounded like the cross-leg list; past the bound one gap per kind and report still fails the gate.
        if (this.unpaired.size >= 10_000) {
            const overflow = `${backend}\0${file.path}\0${kind}`;
            if (this.unpaired.has(overflow))
                return;
            this.unpaired.set(overflow, { ...gap, test: `${test} (and more: over 10,000 unpaired failures)` });
            return;
        }
        this.unpaired.set(key, gap);
    }
    noteCrossLeg(id, namedBackend, foundIn) {
        const key = `${id}\0${namedBackend}\0${foundIn}`;
        if (!this.crossLeg.has(key) && this.crossLeg.size < 10_000)
            this.crossLeg.set(key, { test: id, namedBackend, foundIn });
    }
}
/**
 * A copy of `text` that shares no memory with it. Strings cut from a report (attribute values,
 * messages) can be slices that keep the whole chunk they came from alive; anything kept until the
 * verdict is copied first.
 */
/**
 * A pytest failure body is the test's source, then `>` at the failing line, `E` lines with the
 * assertion, and `file:line: Error`. Cut to its first lines, the part that matters was lost: keep
 * the message's first line, the last `>` line, the `E` lines and the location line.
 */
function pytestKeyLines(message) {
    if (!message.includes('\nE '))
        return message;
    const lines = message.split('\n', 400);
    const eLines = lines.filter((line) => /^E {2,}\S/.test(line));
    if (eLines.length === 0)
        return message;
    const firstE = lines.findIndex((line) => /^E {2,}\S/.test(line));
    let arrow;
    for (let i = firstE - 1; i > 0 && arrow === undefined; i--)
        if (/^>\s/.test(lines[i]))
            arrow = lines[i];
    let location;
    for (let i = lines.length - 1; i > firstE && location === undefined; i--)
        if (/^\S+:\d+: \S/.test(lines[i]))
            location = lines[i];
    return [lines[0], ...(arrow === undefined ? [] : [arrow]), ...eLines.slice(0, 8), ...(location === undefined ? [] : [location])].join('\n');
}
/** A skip whose message matches the exemption's skip reason (never an absence, a pass or a failure). */
function skipSaysReason(exemption, status, detail) {
    return status === 'skipped' && detail?.message !== undefined && exemption.skipReason !== undefined && exemption.skipReason.test(detail.message);
}
/** The declaration says no configured backend runs this test, yet one did: the skip is a gap, and why. */
function noBackendNote(exemption) {
    const patterns = exemption.tests.map((t) => t.source).join(', ') || `skips matching /${exemption.skipReason?.source ?? ''}/`;
    return `; an exemption (${patterns}: ${exemption.reason}) says no configured backend runs it, but it passed on one: list that backend under the exemption's backends, or fix the skip`;
}
/**
 * Failures that say the database could not be reached (connection refused, starting up, too
 * many clients...) are one problem with one fix, not 40 test bugs: counted per backend and cause.
 */
function groupUnreachable(gaps) {
    const groups = new Map();
    for (const gap of gaps) {
        if ((gap.kind !== 'failed' && gap.kind !== 'errored') || gap.message === undefined)
            continue;
        const cause = unreachableCause(gap.message);
        if (cause === undefined)
            continue;
        const key = `${gap.backend}\0${cause}`;
        const group = groups.get(key) ?? { backend: gap.backend, cause, tests: 0, fix: UNREACHABLE_FIX[cause] };
        group.tests += 1;
        groups.set(key, group);
    }
    return [...groups.values()].sort((a, b) => b.tests - a.tests || a.backend.localeCompare(b.backend) || a.cause.localeCompare(b.cause));
}
function matchAny(patterns, text) {
    for (const pattern of patterns) {
        pattern.lastIndex = 0;
        const match = pattern.exec(text);
        if (match !== null)
            return match;
    }
    return undefined;
}
/** A line as a person sees it; only text with a bracket can hold a colour code. */
function visibleLine(raw) {
    return raw.length > 0 && (raw.includes('[') || raw.includes(']')) ? visibleText(raw) : raw;
}
function flatCopy(text) {
    return text.length === 0 ? text : (' ' + text).slice(1);
}
const COLLATOR = new Intl.Collator();
/** pytest writes a 0-based `line` (its item location); every other runner counts from 1. */
function reportedLine(testcase) {
    if (testcase.line === undefined)
        return undefined;
    return testcase.suitePath[0] === 'pytest' ? testcase.line + 1 : testcase.line;
}
function finalStatus(bits) {
    const anyFailure = (bits & ANY_FAILURE) !== 0;
    const worstFailure = (bits & ANY_ERRORED) !== 0 ? 'errored' : 'failed';
    // Different testcases that share an id: the worst result counts, whatever their order.
    if ((bits & COLLISION) !== 0)
        return anyFailure ? worstFailure : (bits & ANY_SKIPPED) !== 0 ? 'skipped' : 'passed';
    // One testcase, or a runner's own reruns of it: a pass after failed attempts is flaky.
    if ((bits & ANY_PASS) !== 0)
        return anyFailure || (bits & FLAKY_MARK) !== 0 ? 'flaky' : 'passed';
    return anyFailure ? worstFailure : 'skipped';
}
/** FINAL_CODE of each test's status byte (0, missing, past the end of `statuses`). */
function finalCodes(statuses, size) {
    const codes = new Uint8Array(size);
    const known = Math.min(size, statuses.length);
    for (let i = 0; i < known; i++)
        codes[i] = FINAL_CODE[statuses[i]];
    return codes;
}
/** Adds each code to `count` and marks the tests that did not pass in `notPassed`. */
function countCodes(codes, count, notPassed) {
    for (let i = 0; i < codes.length; i++) {
        const code = codes[i];
        count[code] = count[code] + 1;
        if (code !== FINAL_PASSED)
            notPassed[i] = 1;
    }
}
/** Final statuses by code: 0 is a test the backend never reported. */
const STATUS_NAMES = ['missing', 'passed', 'failed', 'errored', 'skipped', 'flaky'];
const FINAL_PASSED = 1;
/** finalStatus() of every status byte, as an index into STATUS_NAMES (0 stays missing). */
const FINAL_CODE = Uint8Array.from({ length: 1 << STATUS_BITS }, (_, bits) => (bits === 0 ? 0 : STATUS_NAMES.indexOf(finalStatus(bits))));
function othersOf(backends, finals, backend, excusers) {
    const others = {};
    for (let b = 0; b < backends.length; b++) {
        if (b === backend)
            continue;
        const name = backends[b];
        others[name] = (excusers[b]?.length ?? 0) > 0 ? 'exempt' : finals[b];
    }
    return others;
}
const NONE = [];
/** Out-of-scope ids listed per backend in the verdict (all are counted). */
const OUT_OF_SCOPE_LISTED = 1_000;
function fnv(hash, text) {
    for (let i = 0; i < text.length; i++)
        hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
    return hash;
}
/** Why a repeated id was not taken for a rerun (see BackendState.occurrence). */
function collisionNote(state, index) {
    const files = state.collisions.get(index);
    if (files === undefined)
        return '';
    const count = state.seen[index];
    const where = [...files].sort().join(', ');
    return `; ${count} testcases share this id on ${state.name} (${where}), not as one runner's rerun: the worst result counts`;
}
function testReason(status, backend, others, detail, until, expired) {
    const elsewhere = Object.entries(others)
        .map(([name, s]) => `${s} on ${name}`)
        .join(', ');
    const context = elsewhere.length > 0 ? ` (${elsewhere})` : '';
    const expiry = expired && until !== undefined ? `; its exemption expired on ${until}` : '';
    switch (status) {
        case 'missing':
            return `never ran on ${backend}${context}${expiry}`;
        case 'skipped':
            return detail?.markerSkip === true
                ? `reported as passed on ${backend}, but its output says it skipped itself${context}${expiry}`
                : `skipped on ${backend}${context}${expiry}`;
        case 'failed':
            return `failed on ${backend}${context}`;
        case 'errored':
            return `errored on ${backend}${context}`;
        case 'flaky':
            return `passed on ${backend} only after a failed attempt (flaky: fail)${context}`;
        default:
            return `${status} on ${backend}${context}`;
    }
}
const KIND_ORDER$1 = { 'no-report': 0, empty: 1, 'too-few': 2, unproven: 3, exposed: 4, failed: 5, errored: 6, missing: 7, vanished: 8, skipped: 9, flaky: 10 };
/**
 * Gaps by kind, then backend, then test id, each name in collator order (the default-locale
 * collator orders exactly as String#localeCompare() with no locale, and faster). The few backend
 * names get ranks once (equal ranks where the collator finds them equal), so a comparison calls
 * the collator for the test ids only.
 */
function sortGaps(gaps) {
    const names = [...new Set(gaps.map((gap) => gap.backend))].sort(COLLATOR.compare);
    const rank = new Map();
    names.forEach((name, i) => rank.set(name, i > 0 && COLLATOR.compare(names[i - 1], name) === 0 ? rank.get(names[i - 1]) : i));
    // The same order as one stable sort by (kind, backend rank, test id): the gaps are split by
    // (kind, backend rank), keeping their order, and only each group is sorted, by test id.
    const groups = new Map();
    for (const gap of gaps) {
        const key = KIND_ORDER$1[gap.kind] * names.length + rank.get(gap.backend);
        const group = groups.get(key);
        if (group === undefined)
            groups.set(key, [gap]);
        else
            group.push(gap);
    }
    const byTest = (a, b) => COLLATOR.compare(a.test, b.test);
    const sorted = [];
    for (const key of [...groups.keys()].sort((a, b) => a - b))
        for (const gap of groups.get(key).sort(byTest))
            sorted.push(gap);
    return sorted;
}
function withMessage(value, message) {
    return message === undefined ? value : { ...value, message };
}

const WINDOW = 2048;
/** Characters of each side of a piece boundary joined, so a trigger or window cut by it is whole. */
const CARRY = 4096;
const TESTCASE_TAG = '<testcase';
const SHAPE_TRIGGERS = String.raw `:\/\/|pass(?:word|wd|phrase)|pwd|secret|token|api[_-]?key|bearer|basic |-----BEGIN |gh[pousr]_|github_pat_|AKIA|xox[abpr]-`;
class SecretSpotter {
    redact;
    secrets;
    /** The last CARRY characters seen, and how many were seen in all. */
    recent = '';
    seen = 0;
    /** Absolute offsets: the end of the last window looked at, and the first hit left for the next piece. */
    scannedTo = 0;
    resumeAt = Number.POSITIVE_INFINITY;
    /** <testcase tags counted so far, and the absolute offset up to which they were counted. */
    testcaseOrdinal = 0;
    countedTo = 0;
    lastCountedTestcase = -1;
    trigger;
    result = { values: 0, testcases: 0, names: [], byShape: false };
    names = new Set();
    constructor(redact, secrets, publicWords = []) {
        this.redact = redact;
        this.secrets = secrets;
        const isPublic = new Set(publicWords.map((w) => w.toLowerCase()));
        const literals = secrets
            .flatMap((s) => s.forms)
            .filter((form) => form.length >= 4 && !isPublic.has(form.toLowerCase()))
            // The first characters suffice to trigger; XML may escape the rest differently.
            .map((form) => escapeRegExp$1(leadingPlain(form)))
            .filter((lead) => lead.length >= 4);
        this.trigger = new RegExp([SHAPE_TRIGGERS, ...new Set(literals)].join('|'), 'gi');
    }
    push(text) {
        // The decoder may hand over an empty piece mid-file: only end() means the text is over.
        if (text.length > 0)
            this.feed(text, false);
    }
    feed(text, last) {
        const base = this.seen;
        const recent = this.recent;
        if (recent.length > 0) {
            // Hits that start before this piece but were left for it (too near the end), and triggers
            // cut by the boundary: scanned on a small join of the text around the boundary.
            const joined = recent + text.slice(0, CARRY);
            const joinBase = base - recent.length;
            this.trigger.lastIndex = Math.max(0, this.resumeAt - joinBase, this.scannedTo - joinBase);
            this.resumeAt = Number.POSITIVE_INFINITY;
            this.scan(joined, joinBase, base, !last && text.length < CARRY, '');
            this.advanceTo(joined, joinBase, Math.min(base, this.resumeAt));
        }
        // The piece itself, with no copy: most pieces have no hit at all.
        this.trigger.lastIndex = Math.max(0, this.scannedTo - base);
        // A hit left over from the join stays the first one to look at next time.
        this.resumeAt = Math.min(this.resumeAt, base + text.length - 64);
        this.scan(text, base, base + text.length, !last, recent);
        this.advanceTo(text, base, Math.min(this.resumeAt, base + text.length - (last ? 0 : TESTCASE_TAG.length - 1)));
        this.recent = text.length >= CARRY ? text.slice(text.length - CARRY) : (recent + text).slice(-CARRY);
        this.seen = base + text.length;
    }
    /**
     * Looks at each trigger in `buffer` that starts before absolute `until`; with `more` (text still
     * to come), a hit too near the buffer's end to see its window whole is left for the next piece.
     * `before` is the text just before the buffer, for windows that reach back past its start.
     */
    scan(buffer, base, until, more, before) {
        const trigger = this.trigger;
        for (let match = trigger.exec(buffer); match !== null; match = trigger.exec(buffer)) {
            const at = match.index;
            if (base + at >= until)
                break;
            if (more && buffer.length - at < WINDOW) {
                this.resumeAt = Math.min(this.resumeAt, base + at);
                break;
            }
            let end;
            if (at < WINDOW && before.length > 0) {
                const small = before + buffer.slice(0, Math.min(buffer.length, at + WINDOW));
                end = this.look(small, base - before.length, at + before.length) - before.length;
            }
            else {
                end = this.look(buffer, base, at);
            }
            trigger.lastIndex = Math.max(end, at + 1);
            this.scannedTo = base + trigger.lastIndex;
        }
    }
    end() {
        this.feed('', true);
        this.result.names = [...this.names].sort();
        return this.result;
    }
    /** Redacts the text around a hit; returns where the window ended (buffer index). */
    look(buffer, base, at) {
        let start = at;
        const floor = Math.max(0, at - WINDOW);
        while (start > floor && !isBoundary(buffer.charCodeAt(start - 1)))
            start--;
        let end = at;
        const ceiling = Math.min(buffer.length, at + WINDOW);
        while (end < ceiling && !isBoundary(buffer.charCodeAt(end)))
            end++;
        const window = decodeEntities$1(buffer.slice(start, end));
        if (this.redact(window) === window)
            return Math.max(end, at + 1);
        this.result.values += 1;
        let named = false;
        for (const secret of this.secrets) {
            if (secret.forms.some((form) => form.length >= 4 && window.includes(form))) {
                this.names.add(secret.name);
                named = true;
            }
        }
        if (!named)
            this.result.byShape = true;
        this.advanceTo(buffer, base, base + at);
        const ordinal = this.testcaseOrdinal;
        if (ordinal > 0 && ordinal !== this.lastCountedTestcase) {
            this.lastCountedTestcase = ordinal;
            this.result.testcases += 1;
        }
        return Math.max(end, at + 1);
    }
    /** Counts the <testcase tags that start before absolute offset `target` (once each, in order). */
    advanceTo(buffer, base, target) {
        if (target <= this.countedTo)
            return;
        const from = Math.max(0, this.countedTo - base);
        for (let i = buffer.indexOf(TESTCASE_TAG, from); i >= 0 && base + i < target; i = buffer.indexOf(TESTCASE_TAG, i + 1))
            this.testcaseOrdinal += 1;
        this.countedTo = target;
    }
}
/** Where a window stops: a line break or markup around the text. */
function isBoundary(code) {
    return code === 0x0a || code === 0x0d || code === 0x3c || code === 0x3e;
}
/** The start of a value before its first character XML would escape. */
function leadingPlain(form) {
    const cut = form.search(/[&<>"']/);
    return (cut < 0 ? form : form.slice(0, cut)).slice(0, 24);
}
const NAMED$1 = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
function decodeEntities$1(text) {
    if (!text.includes('&'))
        return text;
    return text.replace(/&(?:#(\d{1,7})|#x([0-9a-f]{1,6})|(lt|gt|amp|quot|apos));/gi, (match, dec, hex, name) => {
        if (name !== undefined)
            return NAMED$1[name.toLowerCase()] ?? match;
        const code = dec !== undefined ? Number(dec) : parseInt(hex, 16);
        return code <= 0x10ffff ? String.fromCodePoint(code) : match;
    });
}

//#region rolldown:runtime
var __require = /* @__PURE__ */ createRequire(import.meta.url);

//#endregion
//#region src/utils.ts
function cleanPath(path) {
	let normalized = normalize(path);
	if (normalized.length > 1 && normalized[normalized.length - 1] === sep) normalized = normalized.substring(0, normalized.length - 1);
	return normalized;
}
const SLASHES_REGEX = /[\\/]/g;
function convertSlashes(path, separator) {
	return path.replace(SLASHES_REGEX, separator);
}
const WINDOWS_ROOT_DIR_REGEX = /^[a-z]:[\\/]$/i;
function isRootDirectory(path) {
	return path === "/" || WINDOWS_ROOT_DIR_REGEX.test(path);
}
function normalizePath(path, options) {
	const { resolvePaths, normalizePath: normalizePath$1, pathSeparator } = options;
	const pathNeedsCleaning = process.platform === "win32" && path.includes("/") || path.startsWith(".");
	if (resolvePaths) path = resolve$1(path);
	if (normalizePath$1 || pathNeedsCleaning) path = cleanPath(path);
	if (path === ".") return "";
	const needsSeperator = path[path.length - 1] !== pathSeparator;
	return convertSlashes(needsSeperator ? path + pathSeparator : path, pathSeparator);
}

//#endregion
//#region src/api/functions/join-path.ts
function joinPathWithBasePath(filename, directoryPath) {
	return directoryPath + filename;
}
function joinPathWithRelativePath(root, options) {
	return function(filename, directoryPath) {
		const sameRoot = directoryPath.startsWith(root);
		if (sameRoot) return directoryPath.slice(root.length) + filename;
		else return convertSlashes(relative(root, directoryPath), options.pathSeparator) + options.pathSeparator + filename;
	};
}
function joinPath(filename) {
	return filename;
}
function joinDirectoryPath(filename, directoryPath, separator) {
	return directoryPath + filename + separator;
}
function build$7(root, options) {
	const { relativePaths, includeBasePath } = options;
	return relativePaths && root ? joinPathWithRelativePath(root, options) : includeBasePath ? joinPathWithBasePath : joinPath;
}

//#endregion
//#region src/api/functions/push-directory.ts
function pushDirectoryWithRelativePath(root) {
	return function(directoryPath, paths) {
		paths.push(directoryPath.substring(root.length) || ".");
	};
}
function pushDirectoryFilterWithRelativePath(root) {
	return function(directoryPath, paths, filters) {
		const relativePath = directoryPath.substring(root.length) || ".";
		if (filters.every((filter) => filter(relativePath, true))) paths.push(relativePath);
	};
}
const pushDirectory = (directoryPath, paths) => {
	paths.push(directoryPath || ".");
};
const pushDirectoryFilter = (directoryPath, paths, filters) => {
	const path = directoryPath || ".";
	if (filters.every((filter) => filter(path, true))) paths.push(path);
};
const empty$2 = () => {};
function build$6(root, options) {
	const { includeDirs, filters, relativePaths } = options;
	if (!includeDirs) return empty$2;
	if (relativePaths) return filters && filters.length ? pushDirectoryFilterWithRelativePath(root) : pushDirectoryWithRelativePath(root);
	return filters && filters.length ? pushDirectoryFilter : pushDirectory;
}

//#endregion
//#region src/api/functions/push-file.ts
const pushFileFilterAndCount = (filename, _paths, counts, filters) => {
	if (filters.every((filter) => filter(filename, false))) counts.files++;
};
const pushFileFilter = (filename, paths, _counts, filters) => {
	if (filters.every((filter) => filter(filename, false))) paths.push(filename);
};
const pushFileCount = (_filename, _paths, counts, _filters) => {
	counts.files++;
};
const pushFile = (filename, paths) => {
	paths.push(filename);
};
const empty$1 = () => {};
function build$5(options) {
	const { excludeFiles, filters, onlyCounts } = options;
	if (excludeFiles) return empty$1;
	if (filters && filters.length) return onlyCounts ? pushFileFilterAndCount : pushFileFilter;
	else if (onlyCounts) return pushFileCount;
	else return pushFile;
}

//#endregion
//#region src/api/functions/get-array.ts
const getArray = (paths) => {
	return paths;
};
const getArrayGroup = () => {
	return [""].slice(0, 0);
};
function build$4(options) {
	return options.group ? getArrayGroup : getArray;
}

//#endregion
//#region src/api/functions/group-files.ts
const groupFiles = (groups, directory, files) => {
	groups.push({
		directory,
		files,
		dir: directory
	});
};
const empty = () => {};
function build$3(options) {
	return options.group ? groupFiles : empty;
}

//#endregion
//#region src/api/functions/resolve-symlink.ts
const resolveSymlinksAsync = function(path, state, callback$1) {
	const { queue, fs, options: { suppressErrors } } = state;
	queue.enqueue();
	fs.realpath(path, (error, resolvedPath) => {
		if (error) return queue.dequeue(suppressErrors ? null : error, state);
		fs.stat(resolvedPath, (error$1, stat) => {
			if (error$1) return queue.dequeue(suppressErrors ? null : error$1, state);
			if (stat.isDirectory() && isRecursive(path, resolvedPath, state)) return queue.dequeue(null, state);
			callback$1(stat, resolvedPath);
			queue.dequeue(null, state);
		});
	});
};
const resolveSymlinks = function(path, state, callback$1) {
	const { queue, fs, options: { suppressErrors } } = state;
	queue.enqueue();
	try {
		const resolvedPath = fs.realpathSync(path);
		const stat = fs.statSync(resolvedPath);
		if (stat.isDirectory() && isRecursive(path, resolvedPath, state)) return;
		callback$1(stat, resolvedPath);
	} catch (e) {
		if (!suppressErrors) throw e;
	}
};
function build$2(options, isSynchronous) {
	if (!options.resolveSymlinks || options.excludeSymlinks) return null;
	return isSynchronous ? resolveSymlinks : resolveSymlinksAsync;
}
function isRecursive(path, resolved, state) {
	if (state.options.useRealPaths) return isRecursiveUsingRealPaths(resolved, state);
	let parent = dirname(path);
	let depth = 1;
	while (parent !== state.root && depth < 2) {
		const resolvedPath = state.symlinks.get(parent);
		const isSameRoot = !!resolvedPath && (resolvedPath === resolved || resolvedPath.startsWith(resolved) || resolved.startsWith(resolvedPath));
		if (isSameRoot) depth++;
		else parent = dirname(parent);
	}
	state.symlinks.set(path, resolved);
	return depth > 1;
}
function isRecursiveUsingRealPaths(resolved, state) {
	return state.visited.includes(resolved + state.options.pathSeparator);
}

//#endregion
//#region src/api/functions/invoke-callback.ts
const onlyCountsSync = (state) => {
	return state.counts;
};
const groupsSync = (state) => {
	return state.groups;
};
const defaultSync = (state) => {
	return state.paths;
};
const limitFilesSync = (state) => {
	return state.paths.slice(0, state.options.maxFiles);
};
const onlyCountsAsync = (state, error, callback$1) => {
	report(error, callback$1, state.counts, state.options.suppressErrors);
	return null;
};
const defaultAsync = (state, error, callback$1) => {
	report(error, callback$1, state.paths, state.options.suppressErrors);
	return null;
};
const limitFilesAsync = (state, error, callback$1) => {
	report(error, callback$1, state.paths.slice(0, state.options.maxFiles), state.options.suppressErrors);
	return null;
};
const groupsAsync = (state, error, callback$1) => {
	report(error, callback$1, state.groups, state.options.suppressErrors);
	return null;
};
function report(error, callback$1, output, suppressErrors) {
	if (error && !suppressErrors) callback$1(error, output);
	else callback$1(null, output);
}
function build$1(options, isSynchronous) {
	const { onlyCounts, group, maxFiles } = options;
	if (onlyCounts) return isSynchronous ? onlyCountsSync : onlyCountsAsync;
	else if (group) return isSynchronous ? groupsSync : groupsAsync;
	else if (maxFiles) return isSynchronous ? limitFilesSync : limitFilesAsync;
	else return isSynchronous ? defaultSync : defaultAsync;
}

//#endregion
//#region src/api/functions/walk-directory.ts
const readdirOpts = { withFileTypes: true };
const walkAsync = (state, crawlPath, directoryPath, currentDepth, callback$1) => {
	state.queue.enqueue();
	if (currentDepth < 0) return state.queue.dequeue(null, state);
	const { fs } = state;
	state.visited.push(crawlPath);
	state.counts.directories++;
	fs.readdir(crawlPath || ".", readdirOpts, (error, entries = []) => {
		callback$1(entries, directoryPath, currentDepth);
		state.queue.dequeue(state.options.suppressErrors ? null : error, state);
	});
};
const walkSync = (state, crawlPath, directoryPath, currentDepth, callback$1) => {
	const { fs } = state;
	if (currentDepth < 0) return;
	state.visited.push(crawlPath);
	state.counts.directories++;
	let entries = [];
	try {
		entries = fs.readdirSync(crawlPath || ".", readdirOpts);
	} catch (e) {
		if (!state.options.suppressErrors) throw e;
	}
	callback$1(entries, directoryPath, currentDepth);
};
function build(isSynchronous) {
	return isSynchronous ? walkSync : walkAsync;
}

//#endregion
//#region src/api/queue.ts
/**
* This is a custom stateless queue to track concurrent async fs calls.
* It increments a counter whenever a call is queued and decrements it
* as soon as it completes. When the counter hits 0, it calls onQueueEmpty.
*/
var Queue = class {
	count = 0;
	constructor(onQueueEmpty) {
		this.onQueueEmpty = onQueueEmpty;
	}
	enqueue() {
		this.count++;
		return this.count;
	}
	dequeue(error, output) {
		if (this.onQueueEmpty && (--this.count <= 0 || error)) {
			this.onQueueEmpty(error, output);
			if (error) {
				output.controller.abort();
				this.onQueueEmpty = void 0;
			}
		}
	}
};

//#endregion
//#region src/api/counter.ts
var Counter = class {
	_files = 0;
	_directories = 0;
	set files(num) {
		this._files = num;
	}
	get files() {
		return this._files;
	}
	set directories(num) {
		this._directories = num;
	}
	get directories() {
		return this._directories;
	}
	/**
	* @deprecated use `directories` instead
	*/
	/* c8 ignore next 3 */
	get dirs() {
		return this._directories;
	}
};

//#endregion
//#region src/api/aborter.ts
/**
* AbortController is not supported on Node 14 so we use this until we can drop
* support for Node 14.
*/
var Aborter = class {
	aborted = false;
	abort() {
		this.aborted = true;
	}
};

//#endregion
//#region src/api/walker.ts
var Walker = class {
	root;
	isSynchronous;
	state;
	joinPath;
	pushDirectory;
	pushFile;
	getArray;
	groupFiles;
	resolveSymlink;
	walkDirectory;
	callbackInvoker;
	constructor(root, options, callback$1) {
		this.isSynchronous = !callback$1;
		this.callbackInvoker = build$1(options, this.isSynchronous);
		this.root = normalizePath(root, options);
		this.state = {
			root: isRootDirectory(this.root) ? this.root : this.root.slice(0, -1),
			paths: [""].slice(0, 0),
			groups: [],
			counts: new Counter(),
			options,
			queue: new Queue((error, state) => this.callbackInvoker(state, error, callback$1)),
			symlinks: /* @__PURE__ */ new Map(),
			visited: [""].slice(0, 0),
			controller: new Aborter(),
			fs: options.fs || nativeFs
		};
		this.joinPath = build$7(this.root, options);
		this.pushDirectory = build$6(this.root, options);
		this.pushFile = build$5(options);
		this.getArray = build$4(options);
		this.groupFiles = build$3(options);
		this.resolveSymlink = build$2(options, this.isSynchronous);
		this.walkDirectory = build(this.isSynchronous);
	}
	start() {
		this.pushDirectory(this.root, this.state.paths, this.state.options.filters);
		this.walkDirectory(this.state, this.root, this.root, this.state.options.maxDepth, this.walk);
		return this.isSynchronous ? this.callbackInvoker(this.state, null) : null;
	}
	walk = (entries, directoryPath, depth) => {
		const { paths, options: { filters, resolveSymlinks: resolveSymlinks$1, excludeSymlinks, exclude, maxFiles, signal, useRealPaths, pathSeparator }, controller } = this.state;
		if (controller.aborted || signal && signal.aborted || maxFiles && paths.length > maxFiles) return;
		const files = this.getArray(this.state.paths);
		for (let i = 0; i < entries.length; ++i) {
			const entry = entries[i];
			if (entry.isFile() || entry.isSymbolicLink() && !resolveSymlinks$1 && !excludeSymlinks) {
				const filename = this.joinPath(entry.name, directoryPath);
				this.pushFile(filename, files, this.state.counts, filters);
			} else if (entry.isDirectory()) {
				let path = joinDirectoryPath(entry.name, directoryPath, this.state.options.pathSeparator);
				if (exclude && exclude(entry.name, path)) continue;
				this.pushDirectory(path, paths, filters);
				this.walkDirectory(this.state, path, path, depth - 1, this.walk);
			} else if (this.resolveSymlink && entry.isSymbolicLink()) {
				let path = joinPathWithBasePath(entry.name, directoryPath);
				this.resolveSymlink(path, this.state, (stat, resolvedPath) => {
					if (stat.isDirectory()) {
						resolvedPath = normalizePath(resolvedPath, this.state.options);
						if (exclude && exclude(entry.name, useRealPaths ? resolvedPath : path + pathSeparator)) return;
						this.walkDirectory(this.state, resolvedPath, useRealPaths ? resolvedPath : path + pathSeparator, depth - 1, this.walk);
					} else {
						resolvedPath = useRealPaths ? resolvedPath : path;
						const filename = basename(resolvedPath);
						const directoryPath$1 = normalizePath(dirname(resolvedPath), this.state.options);
						resolvedPath = this.joinPath(filename, directoryPath$1);
						this.pushFile(resolvedPath, files, this.state.counts, filters);
					}
				});
			}
		}
		this.groupFiles(this.state.groups, directoryPath, files);
	};
};

//#endregion
//#region src/api/async.ts
function promise(root, options) {
	return new Promise((resolve$1, reject) => {
		callback(root, options, (err, output) => {
			if (err) return reject(err);
			resolve$1(output);
		});
	});
}
function callback(root, options, callback$1) {
	let walker = new Walker(root, options, callback$1);
	walker.start();
}

//#endregion
//#region src/api/sync.ts
function sync(root, options) {
	const walker = new Walker(root, options);
	return walker.start();
}

//#endregion
//#region src/builder/api-builder.ts
var APIBuilder = class {
	constructor(root, options) {
		this.root = root;
		this.options = options;
	}
	withPromise() {
		return promise(this.root, this.options);
	}
	withCallback(cb) {
		callback(this.root, this.options, cb);
	}
	sync() {
		return sync(this.root, this.options);
	}
};

//#endregion
//#region src/builder/index.ts
let pm = null;
/* c8 ignore next 6 */
try {
	__require.resolve("picomatch");
	pm = __require("picomatch");
} catch {}
var Builder = class {
	globCache = {};
	options = {
		maxDepth: Infinity,
		suppressErrors: true,
		pathSeparator: sep,
		filters: []
	};
	globFunction;
	constructor(options) {
		this.options = {
			...this.options,
			...options
		};
		this.globFunction = this.options.globFunction;
	}
	group() {
		this.options.group = true;
		return this;
	}
	withPathSeparator(separator) {
		this.options.pathSeparator = separator;
		return this;
	}
	withBasePath() {
		this.options.includeBasePath = true;
		return this;
	}
	withRelativePaths() {
		this.options.relativePaths = true;
		return this;
	}
	withDirs() {
		this.options.includeDirs = true;
		return this;
	}
	withMaxDepth(depth) {
		this.options.maxDepth = depth;
		return this;
	}
	withMaxFiles(limit) {
		this.options.maxFiles = limit;
		return this;
	}
	withFullPaths() {
		this.options.resolvePaths = true;
		this.options.includeBasePath = true;
		return this;
	}
	withErrors() {
		this.options.suppressErrors = false;
		return this;
	}
	withSymlinks({ resolvePaths = true } = {}) {
		this.options.resolveSymlinks = true;
		this.options.useRealPaths = resolvePaths;
		return this.withFullPaths();
	}
	withAbortSignal(signal) {
		this.options.signal = signal;
		return this;
	}
	normalize() {
		this.options.normalizePath = true;
		return this;
	}
	filter(predicate) {
		this.options.filters.push(predicate);
		return this;
	}
	onlyDirs() {
		this.options.excludeFiles = true;
		this.options.includeDirs = true;
		return this;
	}
	exclude(predicate) {
		this.options.exclude = predicate;
		return this;
	}
	onlyCounts() {
		this.options.onlyCounts = true;
		return this;
	}
	crawl(root) {
		return new APIBuilder(root || ".", this.options);
	}
	withGlobFunction(fn) {
		this.globFunction = fn;
		return this;
	}
	/**
	* @deprecated Pass options using the constructor instead:
	* ```ts
	* new fdir(options).crawl("/path/to/root");
	* ```
	* This method will be removed in v7.0
	*/
	/* c8 ignore next 4 */
	crawlWithOptions(root, options) {
		this.options = {
			...this.options,
			...options
		};
		return new APIBuilder(root || ".", this.options);
	}
	glob(...patterns) {
		if (this.globFunction) return this.globWithOptions(patterns);
		return this.globWithOptions(patterns, ...[{ dot: true }]);
	}
	globWithOptions(patterns, ...options) {
		const globFn = this.globFunction || pm;
		/* c8 ignore next 5 */
		if (!globFn) throw new Error("Please specify a glob function to use glob matching.");
		var isMatch = this.globCache[patterns.join("\0")];
		if (!isMatch) {
			isMatch = globFn(patterns, ...options);
			this.globCache[patterns.join("\0")] = isMatch;
		}
		this.options.filters.push((path) => isMatch(path));
		return this;
	}
};

//#region src/utils.ts
const isReadonlyArray = Array.isArray;
const BACKSLASHES = /\\/g;
const DRIVE_RELATIVE_PATH = /^[A-Za-z]:$/;
const isWin = process.platform === "win32";
const ONLY_PARENT_DIRECTORIES = /^(\/?\.\.)+$/;
function getPartialMatcher(patterns, options = {}) {
	const patternsCount = patterns.length;
	const patternsParts = Array(patternsCount);
	const matchers = Array(patternsCount);
	let i, j;
	for (i = 0; i < patternsCount; i++) {
		const parts = splitPattern(patterns[i]);
		patternsParts[i] = parts;
		const partsCount = parts.length;
		const partMatchers = Array(partsCount);
		for (j = 0; j < partsCount; j++) partMatchers[j] = picomatch(parts[j], options);
		matchers[i] = partMatchers;
	}
	return (input) => {
		const inputParts = input.split("/");
		if (inputParts[0] === ".." && ONLY_PARENT_DIRECTORIES.test(input)) return true;
		for (i = 0; i < patternsCount; i++) {
			const patternParts = patternsParts[i];
			const matcher = matchers[i];
			const inputPatternCount = inputParts.length;
			const minParts = Math.min(inputPatternCount, patternParts.length);
			j = 0;
			while (j < minParts) {
				const part = patternParts[j];
				if (part.includes("/")) return true;
				if (!matcher[j](inputParts[j])) break;
				if (!options.noglobstar && part === "**") return true;
				j++;
			}
			if (j === inputPatternCount) return true;
		}
		return false;
	};
}
/* node:coverage ignore next 2 */
const WIN32_ROOT_DIR = /^[A-Z]:\/$/i;
const isRoot = isWin ? (p) => WIN32_ROOT_DIR.test(p) : (p) => p === "/";
function buildFormat(cwd, root, absolute) {
	if (cwd === root || root.startsWith(`${cwd}/`)) {
		if (absolute) {
			const start = cwd.length + +!isRoot(cwd);
			return (p, isDir) => p.slice(start, isDir ? -1 : void 0) || ".";
		}
		const prefix = root.slice(cwd.length + 1);
		if (prefix) return (p, isDir) => {
			if (p === ".") return prefix;
			const result = `${prefix}/${p}`;
			return isDir ? result.slice(0, -1) : result;
		};
		return (p, isDir) => isDir && p !== "." ? p.slice(0, -1) : p;
	}
	if (absolute) return (p) => posix.relative(cwd, p) || ".";
	return (p) => posix.relative(cwd, `${root}/${p}`) || ".";
}
function buildRelative(cwd, root) {
	if (root.startsWith(`${cwd}/`)) {
		const prefix = root.slice(cwd.length + 1);
		return (p) => `${prefix}/${p}`;
	}
	return (p) => {
		const result = posix.relative(cwd, `${root}/${p}`);
		return p[p.length - 1] === "/" && result !== "" ? `${result}/` : result || ".";
	};
}
function ensureNonDriveRelativePath(path) {
	return path.replace(DRIVE_RELATIVE_PATH, (match) => `${match}/`);
}
const splitPatternOptions = { parts: true };
function splitPattern(path) {
	var _result$parts;
	const result = picomatch.scan(path, splitPatternOptions);
	return ((_result$parts = result.parts) === null || _result$parts === void 0 ? void 0 : _result$parts.length) ? result.parts : [path];
}
const POSIX_UNESCAPED_GLOB_SYMBOLS = /(?<!\\)([()[\]{}*?|]|^!|[!+@](?=\()|\\(?![()[\]{}!*+?@|]))/g;
const WIN32_UNESCAPED_GLOB_SYMBOLS = /(?<!\\)([()[\]{}]|^!|[!+@](?=\())/g;
const escapePosixPath = (path) => path.replace(POSIX_UNESCAPED_GLOB_SYMBOLS, "\\$&");
const escapeWin32Path = (path) => path.replace(WIN32_UNESCAPED_GLOB_SYMBOLS, "\\$&");
/**
* Escapes a path's special characters depending on the platform.
* @see {@link https://superchupu.dev/tinyglobby/documentation#escapePath}
*/
/* node:coverage ignore next */
const escapePath = isWin ? escapeWin32Path : escapePosixPath;
/**
* Checks if a pattern has dynamic parts.
*
* Has a few minor differences with [`fast-glob`](https://github.com/mrmlnc/fast-glob) for better accuracy:
*
* - Doesn't necessarily return `false` on patterns that include `\`.
* - Returns `true` if the pattern includes parentheses, regardless of them representing one single pattern or not.
* - Returns `true` for unfinished glob extensions i.e. `(h`, `+(h`.
* - Returns `true` for unfinished brace expansions as long as they include `,` or `..`.
*
* @see {@link https://superchupu.dev/tinyglobby/documentation#isDynamicPattern}
*/
function isDynamicPattern(pattern, options) {
	const scan = picomatch.scan(pattern);
	return scan.isGlob || scan.negated;
}
function log(...tasks) {
	console.log(`[tinyglobby ${(/* @__PURE__ */ new Date()).toLocaleTimeString("es")}]`, ...tasks);
}
function ensureStringArray(value) {
	return typeof value === "string" ? [value] : value !== null && value !== void 0 ? value : [];
}
//#endregion
//#region src/patterns.ts
const PARENT_DIRECTORY = /^(\/?\.\.)+/;
const ESCAPING_BACKSLASHES = /\\(?=[()[\]{}!*+?@|])/g;
function normalizePattern(pattern, opts, props, isIgnore) {
	var _PARENT_DIRECTORY$exe;
	const cwd = opts.cwd;
	let result = pattern;
	if (pattern[pattern.length - 1] === "/") result = pattern.slice(0, -1);
	if (result[result.length - 1] !== "*" && opts.expandDirectories) result += "/**";
	const escapedCwd = escapePath(cwd);
	result = isAbsolute(result.replace(ESCAPING_BACKSLASHES, "")) ? posix.relative(escapedCwd, result) : posix.normalize(result);
	const parentDir = (_PARENT_DIRECTORY$exe = PARENT_DIRECTORY.exec(result)) === null || _PARENT_DIRECTORY$exe === void 0 ? void 0 : _PARENT_DIRECTORY$exe[0];
	const parts = splitPattern(result);
	if (parentDir) {
		const n = (parentDir.length + 1) / 3;
		let i = 0;
		const cwdParts = escapedCwd.split("/");
		while (i < n && parts[i + n] === cwdParts[cwdParts.length + i - n]) {
			result = result.slice(0, (n - i - 1) * 3) + result.slice((n - i) * 3 + parts[i + n].length + 1) || ".";
			i++;
		}
		const potentialRoot = posix.join(cwd, parentDir.slice(i * 3));
		if (potentialRoot[0] !== "." && props.root.length > potentialRoot.length) {
			props.root = ensureNonDriveRelativePath(potentialRoot);
			props.depthOffset = -n + i;
		}
	}
	if (!isIgnore && props.depthOffset >= 0) {
		var _props$commonPath;
		(_props$commonPath = props.commonPath) !== null && _props$commonPath !== void 0 || (props.commonPath = parts);
		const newCommonPath = [];
		const length = Math.min(props.commonPath.length, parts.length);
		for (let i = 0; i < length; i++) {
			const part = parts[i];
			if (part === "**" && !parts[i + 1]) {
				newCommonPath.pop();
				break;
			}
			if (i === parts.length - 1 || part !== props.commonPath[i] || isDynamicPattern(part)) break;
			newCommonPath.push(part);
		}
		props.depthOffset = newCommonPath.length;
		props.commonPath = newCommonPath;
		props.root = ensureNonDriveRelativePath(newCommonPath.length > 0 ? posix.join(cwd, ...newCommonPath) : cwd);
	}
	return result;
}
function processPatterns(options, patterns, props) {
	const matchPatterns = [];
	const ignorePatterns = [];
	for (const pattern of options.ignore) {
		if (!pattern) continue;
		if (pattern[0] !== "!" || pattern[1] === "(") ignorePatterns.push(normalizePattern(pattern, options, props, true));
	}
	for (const pattern of patterns) {
		if (!pattern) continue;
		if (pattern[0] !== "!" || pattern[1] === "(") matchPatterns.push(normalizePattern(pattern, options, props, false));
		else if (pattern[1] !== "!" || pattern[2] === "(") ignorePatterns.push(normalizePattern(pattern.slice(1), options, props, true));
	}
	return {
		match: matchPatterns,
		ignore: ignorePatterns
	};
}
//#endregion
//#region src/crawler.ts
function buildCrawler(options, patterns) {
	const cwd = options.cwd;
	const props = {
		root: cwd,
		depthOffset: 0
	};
	const processed = processPatterns(options, patterns, props);
	if (options.debug) log("internal processing patterns:", processed);
	const { absolute, caseSensitiveMatch, debug, dot, followSymbolicLinks, onlyDirectories } = options;
	const root = props.root.replace(BACKSLASHES, "");
	const matchOptions = {
		dot,
		nobrace: options.braceExpansion === false,
		nocase: !caseSensitiveMatch,
		noextglob: options.extglob === false,
		noglobstar: options.globstar === false,
		posix: true
	};
	const matcher = picomatch(processed.match, matchOptions);
	const ignore = picomatch(processed.ignore, matchOptions);
	const partialMatcher = getPartialMatcher(processed.match, matchOptions);
	const format = buildFormat(cwd, root, absolute);
	const excludeFormatter = absolute ? format : buildFormat(cwd, root, true);
	const excludePredicate = (_, p) => {
		const relativePath = excludeFormatter(p, true);
		return relativePath !== "." && !partialMatcher(relativePath) || ignore(relativePath);
	};
	let maxDepth;
	if (options.deep !== void 0) maxDepth = Math.round(options.deep - props.depthOffset);
	const crawler = new Builder({
		filters: [debug ? (p, isDirectory) => {
			const path = format(p, isDirectory);
			const matches = matcher(path) && !ignore(path);
			if (matches) log(`matched ${path}`);
			return matches;
		} : (p, isDirectory) => {
			const path = format(p, isDirectory);
			return matcher(path) && !ignore(path);
		}],
		exclude: debug ? (_, p) => {
			const skipped = excludePredicate(_, p);
			log(`${skipped ? "skipped" : "crawling"} ${p}`);
			return skipped;
		} : excludePredicate,
		fs: options.fs,
		pathSeparator: "/",
		relativePaths: !absolute,
		resolvePaths: absolute,
		includeBasePath: absolute,
		resolveSymlinks: followSymbolicLinks,
		excludeSymlinks: !followSymbolicLinks,
		excludeFiles: onlyDirectories,
		includeDirs: onlyDirectories || !options.onlyFiles,
		maxDepth,
		signal: options.signal
	}).crawl(root);
	if (options.debug) log("internal properties:", {
		...props,
		root
	});
	return [crawler, cwd !== root && !absolute && buildRelative(cwd, root)];
}
//#endregion
//#region src/index.ts
function formatPaths(paths, mapper) {
	if (mapper) for (let i = paths.length - 1; i >= 0; i--) paths[i] = mapper(paths[i]);
	return paths;
}
const defaultOptions = {
	caseSensitiveMatch: true,
	debug: !!process.env.TINYGLOBBY_DEBUG,
	expandDirectories: true,
	followSymbolicLinks: true,
	onlyFiles: true
};
function getOptions(options) {
	const opts = Object.assign({}, options);
	for (const key in defaultOptions) if (opts[key] === void 0) Object.assign(opts, { [key]: defaultOptions[key] });
	opts.cwd = (opts.cwd instanceof URL ? fileURLToPath(opts.cwd) : resolve$1(opts.cwd || process.cwd())).replace(BACKSLASHES, "/");
	opts.ignore = ensureStringArray(opts.ignore);
	opts.fs && (opts.fs = {
		readdir: opts.fs.readdir || readdir$1,
		readdirSync: opts.fs.readdirSync || readdirSync,
		realpath: opts.fs.realpath || realpath,
		realpathSync: opts.fs.realpathSync || realpathSync,
		stat: opts.fs.stat || stat$1,
		statSync: opts.fs.statSync || statSync
	});
	if (opts.debug) log("globbing with options:", opts);
	return opts;
}
function getCrawler(globInput, inputOptions = {}) {
	var _ref;
	if (globInput && (inputOptions === null || inputOptions === void 0 ? void 0 : inputOptions.patterns)) throw new Error("Cannot pass patterns as both an argument and an option");
	const isModern = isReadonlyArray(globInput) || typeof globInput === "string";
	const patterns = ensureStringArray((_ref = isModern ? globInput : globInput.patterns) !== null && _ref !== void 0 ? _ref : "**/*");
	const options = getOptions(isModern ? inputOptions : globInput);
	return patterns.length > 0 ? buildCrawler(options, patterns) : [];
}
async function glob(globInput, options) {
	const [crawler, relative] = getCrawler(globInput, options);
	return crawler ? formatPaths(await crawler.withPromise(), relative) : [];
}

// Bytes to text for the XML reader: picks the encoding from the byte-order mark or the XML
// declaration, refuses invalid UTF-8 with a position, and neutralises terminal control codes.
//
// Raw ANSI colour codes inside <system-out> are common in real reports, and XML 1.0 forbids
// those characters, so a strict parser would reject the whole report. We strip ANSI escape
// sequences and replace any other forbidden control character with U+FFFD instead.
class InvalidEncodingError extends Error {
    byteOffset;
    validPrefix;
    encoding;
    constructor(byteOffset, validPrefix, 
    /** The encoding the file was read in: "UTF-8", "UTF-16LE" or "UTF-16BE". */
    encoding = 'UTF-8') {
        super(`invalid ${encoding} byte sequence at byte ${byteOffset}`);
        this.byteOffset = byteOffset;
        this.validPrefix = validPrefix;
        this.encoding = encoding;
        this.name = 'InvalidEncodingError';
    }
}
const ANSI_SEQUENCE = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/g;
// U+FFFE and U+FFFF are not XML characters either (fuzzed test parameters produce them).
const FORBIDDEN_CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/g;
const HAS_CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/;
/**
 * What may be cut at the end of a chunk and must wait for the next one, so that a chunked file
 * cleans exactly like a whole one: the start of an escape sequence (ESC; CSI parameters and
 * intermediates; an OSC title or link up to its BEL or ESC \\), or the start of a character
 * reference (`&`, `&#`, `&#x1`) that FORBIDDEN_REFERENCE may have to replace.
 */
const TRAILING_PARTIAL = /(?:\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*\x1b?)?|&(?:#(?:[xX][0-9a-fA-F]*|[0-9]*))?)$/;
/** Held back only within this many final characters (a longer tail is not one being cut). */
const MAX_PARTIAL = 256;
/** Where a trailing partial escape sequence or reference starts, or -1. Looks at the tail only. */
function partialEscapeStart(text) {
    const from = Math.max(0, text.length - MAX_PARTIAL);
    const tail = text.slice(from);
    if (!tail.includes('\x1b') && !tail.includes('&'))
        return -1;
    const match = TRAILING_PARTIAL.exec(tail);
    return match === null ? -1 : from + match.index;
}
/** Character references to the same forbidden controls (`&#27;`, `&#x1B;`), which some reporters write. */
const FORBIDDEN_REFERENCE = /&#(?:[xX]0*(?:[0-8bBcCeEfF]|1[0-9a-fA-F])|0*(?:[0-8]|1[124-9]|2[0-9]|3[01]));/g;
function cleanControlCharacters(text) {
    let out = text;
    if (HAS_CONTROL.test(out))
        out = out.replace(ANSI_SEQUENCE, '').replace(FORBIDDEN_CONTROL, '\ufffd');
    if (out.includes('&#'))
        out = out.replace(FORBIDDEN_REFERENCE, '&#xFFFD;');
    return out;
}
/** Sniffs the encoding from the first bytes (BOM, UTF-16 without BOM, or the XML declaration). */
function sniffEncoding(head) {
    const [a, b, c, d] = head;
    if (a === 0xef && b === 0xbb && c === 0xbf)
        return 'utf-8';
    if (a === 0xff && b === 0xfe)
        return 'utf-16le';
    if (a === 0xfe && b === 0xff)
        return 'utf-16be';
    if (a === 0x3c && b === 0x00 && c === 0x3f && d === 0x00)
        return 'utf-16le';
    if (a === 0x00 && b === 0x3c && c === 0x00 && d === 0x3f)
        return 'utf-16be';
    const declaration = /^<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(latin1(head.subarray(0, 200)));
    const declared = declaration?.[1]?.toLowerCase();
    if (declared !== undefined && /^(iso-8859-1|latin-?1|windows-1252|cp1252|us-ascii|ascii)$/.test(declared)) {
        return 'windows-1252';
    }
    return 'utf-8';
}
function latin1(bytes) {
    let text = '';
    for (const byte of bytes)
        text += String.fromCharCode(byte);
    return text;
}
/** Bytes looked at to pick the encoding (the XML declaration's usual length, with room to spare). */
const SNIFF_BYTES = 200;
/** Streaming decoder: push() byte chunks, get clean text back; end() flushes. */
class ReportDecoder {
    decoder;
    held = '';
    bytesSeen = 0;
    /** First bytes held until the encoding can be told (a BOM or the XML declaration may be cut). */
    head;
    encoding = 'utf-8';
    /** The last bytes of the previous chunk: a UTF-8 sequence cut there is held by the TextDecoder. */
    tail = new Uint8Array(0);
    push(chunk) {
        let bytes = chunk;
        if (this.decoder === undefined) {
            bytes = this.head === undefined ? chunk : Buffer.concat([this.head, chunk]);
            // Enough to see a BOM, UTF-16's "<?" and a whole declaration: 200 bytes or its closing ">".
            if (bytes.length < SNIFF_BYTES && !bytes.includes(0x3e)) {
                this.head = bytes;
                return '';
            }
            this.head = undefined;
            this.start(bytes);
        }
        let text;
        try {
            text = this.decoder.decode(bytes, { stream: true });
        }
        catch {
            throw this.locateInvalid(bytes);
        }
        this.bytesSeen += bytes.length;
        // The last 3 bytes read, across chunks (a 1-byte chunk must not lose the lead byte before it).
        this.tail = bytes.length >= 3 ? bytes.slice(bytes.length - 3) : Buffer.concat([this.tail, bytes]).subarray(-3);
        return this.clean(text, false);
    }
    start(head) {
        this.encoding = sniffEncoding(head);
        this.decoder = new TextDecoder(this.encoding, { fatal: true });
    }
    end() {
        if (this.decoder === undefined) {
            if (this.head === undefined)
                return '';
            // A file shorter than the sniffing window: decide with what there is.
            const head = this.head;
            this.head = undefined;
            this.start(head);
            return this.push(head) + this.end();
        }
        let text;
        try {
            text = this.decoder.decode();
        }
        catch {
            // A sequence cut by the end of the file: name the byte where it starts.
            const cut = this.encoding === 'utf-8' ? incompleteTail(this.tail).length : 0;
            throw new InvalidEncodingError(this.bytesSeen - cut, this.clean('', true), this.label());
        }
        return this.clean(text, true);
    }
    clean(text, final) {
        let joined = this.held + text;
        this.held = '';
        if (!final) {
            const partial = partialEscapeStart(joined);
            if (partial >= 0) {
                this.held = joined.slice(partial);
                joined = joined.slice(0, partial);
            }
        }
        return cleanControlCharacters(joined);
    }
    label() {
        return this.encoding === 'utf-8' ? 'UTF-8' : this.encoding.toUpperCase();
    }
    /**
     * Finds the first invalid byte so the error can name a line and column. A UTF-8 sequence may
     * have begun in the previous chunk (the TextDecoder held its first bytes): look from there.
     * For UTF-16 (an unpaired surrogate) the chunk's start is as near as we tell.
     */
    locateInvalid(bytes) {
        if (this.encoding !== 'utf-8')
            return new InvalidEncodingError(this.bytesSeen, this.clean('', true), this.label());
        const pending = incompleteTail(this.tail);
        const combined = pending.length === 0 ? bytes : Buffer.concat([pending, bytes]);
        const offset = firstInvalidUtf8(combined);
        let prefix = '';
        try {
            prefix = new TextDecoder('utf-8').decode(combined.subarray(0, offset));
        }
        catch {
            prefix = '';
        }
        return new InvalidEncodingError(this.bytesSeen - pending.length + offset, this.clean(prefix, true));
    }
}
/** The trailing bytes of `tail` that start a UTF-8 sequence not yet complete (what a streaming decoder holds). */
function incompleteTail(tail) {
    for (let k = tail.length - 1; k >= 0; k--) {
        const byte = tail[k];
        if ((byte & 0xc0) === 0x80)
            continue;
        if (byte < 0xc0)
            return tail.subarray(tail.length);
        const need = byte >= 0xf0 ? 3 : byte >= 0xe0 ? 2 : 1;
        return tail.length - 1 - k < need ? tail.subarray(k) : tail.subarray(tail.length);
    }
    return tail.subarray(tail.length);
}
/** Offset of the first byte that starts an invalid UTF-8 sequence (or bytes.length). */
function firstInvalidUtf8(bytes) {
    let i = 0;
    while (i < bytes.length) {
        const byte = bytes[i];
        let need;
        if (byte < 0x80)
            need = 0;
        else if (byte >= 0xc2 && byte <= 0xdf)
            need = 1;
        else if (byte >= 0xe0 && byte <= 0xef)
            need = 2;
        else if (byte >= 0xf0 && byte <= 0xf4)
            need = 3;
        else
            return i;
        if (need > 0 && i + need >= bytes.length)
            return i;
        // The second byte's range is narrower after E0 (overlong), ED (UTF-16 surrogates), F0 (overlong) and F4 (past U+10FFFF).
        const second = bytes[i + 1];
        if (need > 0 && (second < (byte === 0xe0 ? 0xa0 : byte === 0xf0 ? 0x90 : 0x80) || second > (byte === 0xed ? 0x9f : byte === 0xf4 ? 0x8f : 0xbf)))
            return i;
        for (let k = 2; k <= need; k++) {
            if ((bytes[i + k] & 0xc0) !== 0x80)
                return i;
        }
        i += need + 1;
    }
    return i;
}

// Names and messages come from reports, which pull requests control: they are untrusted text.
// These helpers make them inert in GitHub Markdown: no table breaking, no markup or HTML,
// no @mentions or #references that notify people or link issues.
const ZERO_WIDTH_SPACE = '\u200b';
const HTML_ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Text inside HTML (for <pre> and <summary>): entities plus mention and reference breaking. */
function escapeHtml(text) {
    // A message line starting with "::" would be a workflow command once the Markdown is printed to a log.
    const escaped = text.replace(/[&<>"']/g, (char) => HTML_ENTITIES[char]).replace(LINE_START_COMMAND, '$1&#58;');
    return defuseMentions(markupEntities(escaped));
}
/**
 * GitHub runners treat a log line as a workflow command when it starts with "::" after leading
 * whitespace (::error::, ::set-output::, ::stop-commands::) and wherever "##[" appears (the old
 * syntax). Report text printed to a CI log must not do either. A line break is what the runner
 * splits on (\r, \n); JavaScript's multiline ^ also matches after \u2028 and \u2029.
 */
const LINE_START_COMMAND = /^([\s\u0085]*):(?=:)/gm;
const OLD_COMMAND = /##\[/g;
/** Breaks workflow commands in plain text with a zero-width space (for the terminal renderer). */
function defuseWorkflowCommands(text) {
    // Tested first: on a 100 MB report a needless replace would copy it.
    let out = text;
    if (out.includes('::'))
        out = out.replace(LINE_START_COMMAND, `$1:${ZERO_WIDTH_SPACE}`);
    if (out.includes('##['))
        out = out.replace(OLD_COMMAND, `#${ZERO_WIDTH_SPACE}#[`);
    return out;
}
/**
 * GitHub still parses Markdown inside inline HTML such as <code> and <summary>: markup characters
 * become numeric entities. An underscore inside a word (test_insert_row) starts no emphasis and stays.
 */
function markupEntities(text) {
    return text.replace(/[|`\\*[\]~$]|_(?![A-Za-z0-9])|(?<![A-Za-z0-9])_/g, (char) => `&#${char.charCodeAt(0)};`);
}
/** Line breaks shown as ⏎: a table cell, a link label or a <summary> must stay on one line. */
function singleLine(text) {
    return text.replace(/\r\n?|\n/g, ' ⏎ ');
}
/** Inline Markdown text (also safe in a table cell): one line, every markup character escaped. */
function escapeInline(text) {
    const oneLine = singleLine(text);
    const escaped = oneLine
        .replace(/[&<>"']/g, (char) => HTML_ENTITIES[char])
        // `$` starts math in GitHub Markdown; the rest are emphasis, code, links, tables, strikethrough.
        .replace(/[\\`*_[\]|~$]/g, (char) => `\\${char}`);
    return defuseMentions(escaped);
}
/** Shows text as code in a table cell. Backticks cannot be escaped inside code spans, so use <code>. */
function inlineCode(text) {
    const oneLine = singleLine(text);
    const escaped = markupEntities(oneLine.replace(/[&<>"']/g, (char) => HTML_ENTITIES[char]));
    return `<code>${defuseMentions(escaped)}</code>`;
}
/**
 * @user and @org/team notify people; #123 and GH-123 link issues. A zero-width space stops both.
 * Our own numeric entities (&#39;) are left whole: a raw "&" in the text is already &amp;.
 */
function defuseMentions(text) {
    return text.replace(/@(?=[A-Za-z0-9])/g, `@${ZERO_WIDTH_SPACE}`).replace(/((?<!&)#|\\#|GH-)(?=\d)/gi, `$1${ZERO_WIDTH_SPACE}`);
}
/** UTF-8 length, the unit of GitHub's limits. */
function utf8Length(text) {
    return Buffer.byteLength(text, 'utf8');
}
/** Shortens untrusted text before escaping, so one huge name cannot take a whole budget. */
function clip(text, maxChars) {
    return text.length <= maxChars ? text : `${sliceWhole(text, maxChars)}…`;
}
/** text.slice(0, end), one unit shorter when `end` would fall inside a surrogate pair (an emoji). */
function sliceWhole(text, end) {
    const last = text.charCodeAt(end - 1);
    return text.slice(0, last >= 0xd800 && last <= 0xdbff ? end - 1 : end);
}

// The file edge: finds each backend's report files inside the workspace and streams them through
// the decoder and the XML reader into the engine. Nothing outside the workspace is read.
class UnsafePathError extends Error {
    constructor(message) {
        super(message);
        this.name = 'UnsafePathError';
    }
}
/** `..` as a path segment, also inside a brace or extglob alternative ({..,x}, @(..)). */
const PARENT_SEGMENT = /(?:^|[/\\{,(|])\.\.(?=$|[/\\},)|])/;
/** Refuses patterns that name places outside the workspace before any glob runs. */
function assertPatternInWorkspace(pattern) {
    const normalised = pattern.replace(/\\/g, '/');
    if (path.isAbsolute(normalised) || /^[A-Za-z]:/.test(normalised)) {
        throw new UnsafePathError(`report glob "${pattern}" is absolute: use a path relative to the workspace`);
    }
    if (normalised.split('/').includes('..') || PARENT_SEGMENT.test(normalised)) {
        throw new UnsafePathError(`report glob "${pattern}" leaves the workspace with "..": reports must be inside it`);
    }
}
async function findReports(config, workspace) {
    const root = await realpath$1(workspace);
    const files = new Map();
    const refused = [];
    const refusedReasons = [];
    // Sets, not list lookups: a pull request may hold tens of thousands of links.
    const refusedSet = new Set();
    for (const backend of config.backends) {
        backend.reports.forEach(assertPatternInWorkspace);
        const found = await glob(backend.reports, { cwd: root, dot: true, onlyFiles: true, followSymbolicLinks: false, expandDirectories: false });
        // tinyglobby leaves symbolic links out when it does not follow them: find the ones the globs
        // name, so a link is either read (it stays inside) or refused out loud, never silently dropped.
        const links = new Set(await matchingLinks(backend.reports, root));
        const matches = [...new Set([...found, ...links])];
        for (const match of matches.sort()) {
            const resolved = await realpath$1(path.join(root, match)).catch(() => undefined);
            if (resolved === undefined || !isInside(root, resolved)) {
                if (!refusedSet.has(match)) {
                    refusedSet.add(match);
                    refused.push(match);
                    refusedReasons.push(resolved === undefined ? 'it is a broken symbolic link' : 'it resolves outside the workspace (symbolic link)');
                }
                continue;
            }
            if (links.has(match) && (await stat(resolved).catch(() => undefined))?.isFile() !== true)
                continue;
            const list = files.get(match) ?? [];
            if (!list.includes(backend.name))
                list.push(backend.name);
            files.set(match, list);
        }
    }
    return { files, refused, refusedReasons };
}
/** Entries a directory walk for links may visit per pattern: bounded time on a huge workspace. */
const MAX_LINK_WALK = 200_000;
/**
 * Symbolic links (to files or directories) whose workspace-relative path one of the patterns
 * matches. Never follows a link: the walk starts at the pattern's static base (only when that
 * base really lies inside the workspace) and descends through real directories only.
 */
async function matchingLinks(patterns, root) {
    const links = new Set();
    for (const raw of patterns) {
        if (raw.startsWith('!'))
            continue;
        const pattern = raw.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
        const scan = picomatch.scan(pattern);
        if (!scan.isGlob) {
            const info = await lstat(path.join(root, pattern)).catch(() => undefined);
            if (info?.isSymbolicLink() === true)
                links.add(pattern);
            continue;
        }
        const base = scan.base;
        const realBase = await realpath$1(path.join(root, base)).catch(() => undefined);
        if (realBase === undefined || realBase !== path.join(root, base).replace(/\/+$/, ''))
            continue;
        const isMatch = picomatch(pattern, { dot: true });
        const pending = [base];
        let visited = 0;
        while (pending.length > 0 && visited < MAX_LINK_WALK) {
            const relative = pending.pop();
            const dir = await opendir(path.join(root, relative)).catch(() => undefined);
            if (dir === undefined)
                continue;
            for await (const entry of dir) {
                visited += 1;
                const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
                if (entry.isSymbolicLink()) {
                    if (isMatch(child))
                        links.add(child);
                }
                else if (entry.isDirectory()) {
                    pending.push(child);
                }
            }
        }
    }
    return [...links];
}
function isInside(root, candidate) {
    const relative = path.relative(root, candidate);
    return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}
/**
 * 64 KiB reads: the decoded text stays a young-generation string the collector frees cheaply.
 * 1 MiB reads made 2 MB strings that go straight to the old generation and pile up between full
 * collections (measured on 2 x 1M testcases: peak RSS about 600 MB -> 490 MB, and less CPU).
 */
const READ_CHUNK$1 = 1 << 16;
/** Streams every report into the engine. Unreadable files become errors in the verdict, never a silent gap. */
async function readReports(engine, reports, workspace, spotter) {
    reports.refused.forEach((match, i) => {
        const reason = reports.refusedReasons?.[i] ?? 'it resolves outside the workspace (symbolic link)';
        engine.fileError(match, { file: match, message: defuseWorkflowCommands(`${match}: refused: ${reason}; reports must be regular files inside the workspace`) });
    });
    for (const [file, backends] of reports.files) {
        const handle = engine.openFile(file, backends);
        const spotting = spotter?.();
        try {
            await streamReport(path.join(workspace, file), file, (testcase) => engine.addTestcase(handle, testcase), engine.parserLimits, spotting);
            if (spotting !== undefined)
                engine.secretsInReport(handle, spotting.end());
        }
        catch (error) {
            engine.fileError(handle, toReportError(file, error));
        }
    }
}
/** Decodes and parses one file; throws ReportParseError with file, line and column. */
async function streamReport(absolutePath, displayName, onTestcase, limits, spotter) {
    const info = await stat(absolutePath);
    if (!info.isFile())
        throw new ReportParseError(displayName, undefined, undefined, 'not a regular file');
    const parser = new JUnitStreamParser(displayName, onTestcase, limits);
    const decoder = new ReportDecoder();
    // Plain blocking reads, a fresh buffer per chunk (the decoder may keep a view of the last one):
    // the same chunks as a read stream, without its thread-pool round trip and promise per chunk
    // (at 2 x 100k testcases, about 7% of the run was waiting and stream glue).
    let fd;
    try {
        fd = openSync(absolutePath, 'r');
        for (;;) {
            const chunk = Buffer.allocUnsafe(READ_CHUNK$1);
            const read = readSync(fd, chunk, 0, READ_CHUNK$1, null);
            if (read === 0)
                break;
            const text = decoder.push(read === READ_CHUNK$1 ? chunk : chunk.subarray(0, read));
            spotter?.push(text);
            parser.write(text);
        }
        closeSync(fd);
        fd = undefined;
        const last = decoder.end();
        spotter?.push(last);
        parser.write(last);
    }
    catch (error) {
        if (fd !== undefined)
            closeSync(fd);
        if (error instanceof InvalidEncodingError) {
            // Feed the valid part first so the error names the line and column of the bad bytes.
            parser.write(error.validPrefix);
            throw parser.errorHere(`invalid ${error.encoding} (byte offset ${error.byteOffset}); reports must be UTF-8 or UTF-16 with a byte-order mark`);
        }
        throw error;
    }
    parser.end();
    return parser.testcases;
}
function toReportError(file, error) {
    const located = locate(file, error);
    // The CLI prints this message as it is: a report named "##[error]x.xml" must not become a workflow command.
    return { ...located, message: defuseWorkflowCommands(located.message) };
}
function locate(file, error) {
    if (error instanceof ReportParseError) {
        const result = { file, message: error.message };
        if (error.line !== undefined)
            result.line = error.line;
        if (error.column !== undefined)
            result.column = error.column;
        return result;
    }
    const code = error.code;
    return { file, message: `${file}: could not read the report${code === undefined ? '' : ` (${code})`}: ${error.message}` };
}

// Runners write test file paths relative to the folder they ran in: vitest run inside
// examples/storage reports `src/pg-store.ts`. Links and annotations need paths from the
// repository root, so a relative path that names no file in the workspace is looked up by its
// suffix among the workspace's files, and replaced when exactly one file ends with it.
/** Distinct paths looked up at most: a verdict with a million gaps still costs one bounded pass. */
const MAX_LOOKUPS = 1_000;
async function resolveSourcePaths(verdict, workspace) {
    const checked = new Set();
    for (const gap of verdict.gaps) {
        const file = gap.file;
        if (file === undefined || checked.has(file) || !isPlainRelative(file))
            continue;
        if (checked.size >= MAX_LOOKUPS)
            break;
        checked.add(file);
    }
    // The lookups run side by side (one at a time, 1,000 of them took 0.1 s); the order stays.
    const lookups = [...checked];
    const found = await Promise.all(lookups.map((file) => isFile(path.join(workspace, file))));
    const unresolved = new Set(lookups.filter((_, i) => !found[i]));
    if (unresolved.size === 0)
        return;
    const patterns = [...new Set([...unresolved].map((file) => `**/${escapePath(path.posix.basename(file))}`))];
    const candidates = await glob(patterns, {
        cwd: workspace,
        ignore: ['**/node_modules/**', '**/.git/**'],
        onlyFiles: true,
        followSymbolicLinks: false,
        expandDirectories: false
    });
    const resolved = new Map();
    for (const file of unresolved) {
        const matches = candidates.filter((candidate) => candidate.endsWith(`/${file}`));
        if (matches.length === 1)
            resolved.set(file, matches[0]);
    }
    for (const gap of verdict.gaps) {
        const replacement = gap.file === undefined ? undefined : resolved.get(gap.file);
        if (replacement !== undefined)
            gap.file = replacement;
    }
}
function isPlainRelative(file) {
    return !path.isAbsolute(file) && !/^[A-Za-z]:/.test(file) && !/^[a-z][a-z0-9+.-]*:/i.test(file) && !file.split('/').includes('..');
}
async function isFile(candidate) {
    return (await stat(candidate).catch(() => undefined))?.isFile() ?? false;
}

/**
 * The runners' collected test lists (`expected:`), found with the same workspace rules as reports.
 * A configured glob that matches nothing, or a list that cannot be read or parsed, is an error:
 * "nothing collected" must never pass as "nothing expected".
 */
async function readCollectedLists(engine, config, workspace) {
    if (config.expected.size === 0)
        return;
    const backends = config.backends
        .map((b) => ({ name: b.name, reports: config.expected.get(b.name) ?? config.expected.get('*') ?? [], artifacts: [] }))
        .filter((b) => b.reports.length > 0);
    const found = await findReports({ ...config, backends }, workspace);
    for (const match of found.refused)
        engine.fileError(match, { file: match, message: `${match}: refused: collected lists must be regular files inside the workspace` });
    for (const backend of backends) {
        if (![...found.files.values()].some((names) => names.includes(backend.name))) {
            engine.fileError(backend.reports.join(', '), { message: `expected: no collected test list matched ${backend.reports.join(', ')} for ${backend.name}` });
        }
    }
    for (const [file, names] of found.files) {
        try {
            engine.expectCollected(file, names, parseCollected(readFileSync(path.join(workspace, file), 'utf8'), file));
        }
        catch (error) {
            const reason = error instanceof CollectedParseError ? error.message : `${file}: could not be read (${error.code ?? error.message})`;
            engine.fileError(file, { file, message: `expected: ${reason}` });
        }
    }
}
/** The committed inventory file as an earlier inventory: every id in it must be reported by some backend. */
function readInventorySource(workspace, file) {
    const label = `the inventory ${file}`;
    const absolute = path.resolve(workspace, file);
    if (!isInside(workspace, absolute))
        return { error: { file, message: `inventory: ${file} is outside the workspace` } };
    let text;
    try {
        text = readFileSync(absolute, 'utf8');
    }
    catch (error) {
        const code = error.code;
        const hint = code === 'ENOENT' ? ' (write it with `dual-backend-coverage inventory --write`)' : '';
        return { error: { file, message: `inventory: ${file} could not be read (${code ?? error.message})${hint}` } };
    }
    try {
        const ids = parseInventoryFile(text, file);
        return { label, inventory: { backends: [], tests: ids.map((id) => ({ id, backends: [] })) } };
    }
    catch (error) {
        return { error: { file, message: `inventory: ${error.message}` } };
    }
}
function redactorFor(config, env, extra = []) {
    const values = config.redactEnv.map((name) => env[name]).filter((v) => v !== undefined && v.length > 0);
    // Backend names and their aliases are public words, never masked on their own (see RedactorOptions).
    return createRedactor([...values, ...extra], { publicWords: [...config.aliases.keys()] });
}
async function evaluateWorkspace(options) {
    const { config, workspace } = options;
    // One redactor for the engine, the names and the secret spotter: its patterns are compiled once.
    const redactor = redactorFor(config, options.env, options.secrets);
    const engine = new CoverageEngine(config, {
        redact: redactor,
        now: options.now ?? new Date(),
        pathRoots: [workspace, ...(options.env.GITHUB_WORKSPACE === undefined ? [] : [options.env.GITHUB_WORKSPACE])]
    });
    for (const [backend, result] of options.jobResults ?? [])
        engine.setJobResult(backend, result);
    for (const source of options.drift ?? [])
        engine.compareWith(source);
    if (config.inventory !== undefined) {
        const source = readInventorySource(workspace, config.inventory);
        if ('error' in source)
            engine.fileError(config.inventory, source.error);
        else
            engine.compareWith(source);
    }
    const reports = await findReports(config, workspace);
    const named = config.redactEnv
        .map((name) => ({ name, value: options.env[name] }))
        .filter((entry) => entry.value !== undefined && entry.value.length > 0)
        .map(({ name, value }) => ({ name, forms: expandSecrets([value]) }));
    const spotter = config.secretsInReports === 'off' ? undefined : () => new SecretSpotter(redactor, named, [...config.aliases.keys()]);
    await readReports(engine, reports, workspace, spotter);
    await readCollectedLists(engine, config, workspace);
    const verdict = redactNames(engine.verdict(), redactor);
    // Redacted ids, compressed: base64 hides nothing, so the digest is held to the same rule as any output.
    if (options.digest === true)
        verdict.digest = engine.digest();
    await resolveSourcePaths(verdict, workspace);
    return verdict;
}
/**
 * The engine redacts messages; test ids and file paths come from report names, and pytest puts
 * parameter values (a DSN, a token) into test names. Mask them here, where both the CLI and the
 * action get their verdict, so no renderer ever sees them. Ids stay distinct per backend the
 * same way, since every backend's ids go through the same redactor.
 */
function redactNames(verdict, redact) {
    const mask = redact;
    // Consecutive gaps mostly share their file: redact each run of equal paths once.
    let lastFile;
    let lastMasked;
    for (const gap of verdict.gaps) {
        gap.test = mask(gap.test);
        const file = gap.file;
        if (file !== undefined) {
            if (file !== lastFile) {
                lastFile = file;
                lastMasked = mask(file);
            }
            gap.file = lastMasked;
        }
    }
    for (const flaky of verdict.flaky)
        flaky.test = mask(flaky.test);
    for (const copy of verdict.crossLeg) {
        copy.test = mask(copy.test);
        // An unknown backend word is taken as written from the report (backend-in-name's capture).
        copy.namedBackend = mask(copy.namedBackend);
    }
    for (const exemption of verdict.exemptions)
        exemption.excused = exemption.excused.map(mask);
    for (const error of verdict.errors)
        if (error.file !== undefined)
            error.file = mask(error.file);
    return verdict;
}

// Checks on an --output path, before any work: what else it names is said plainly (exit 2).
/** --output names a file the user can write; what else it names is said plainly (exit 2), before any work. */
class OutputError extends Error {
}
function checkOutputPath(output, cwd) {
    const file = path.resolve(cwd, output);
    if (output.endsWith('/') || output.endsWith(path.sep) || (existsSync(file) && statSync$1(file).isDirectory())) {
        throw new OutputError(`--output ${output}: is a folder; give a file name, e.g. --output ${path.join(output, 'dual-backend.txt')}`);
    }
    const folder = path.dirname(file);
    if (!existsSync(folder)) {
        const shown = path.dirname(output) === '.' ? folder : path.dirname(output);
        throw new OutputError(`--output ${output}: the folder ${shown} does not exist; create it first (mkdir -p ${shown})`);
    }
    if (!statSync$1(folder).isDirectory())
        throw new OutputError(`--output ${output}: ${path.dirname(output)} is a file, not a folder`);
}

// dual-backend-coverage init --backend NAME=GLOB... [--output FILE|-] [--force]
//
// Drafts a starting config from one run's reports: `backend-in-name` when the test names carry
// the backend (checked with the real engine: it must pair more tests and name none wrongly), and
// today's one-sided tests as draft exemptions whose TODO reasons the maintainer fills in.
// Exit 0: written. 2: usage error, the file exists (without --force), or the reports cannot be read.
const PREFIX$1 = 'dual-backend-coverage init';
const USAGE$2 = `Usage: dual-backend-coverage init --backend NAME=GLOB... [--output FILE|-] [--force]
  --backend NAME=GLOB  report files of one backend (repeat; the same glob for two backends: one shared report)
  --output FILE        where to write the draft (default ${DEFAULT_CONFIG_PATH}; - prints it)
  --force              overwrite an existing file
`;
async function runInit(args, io) {
    let values;
    try {
        values = parseArgs({ args, options: { backend: { type: 'string', multiple: true }, output: { type: 'string' }, force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }).values;
    }
    catch (error) {
        io.stderr(`${PREFIX$1}: ${error.message}\n\n${USAGE$2}`);
        return 2;
    }
    if (values.help === true) {
        io.stdout(USAGE$2);
        return 0;
    }
    const started = Date.now();
    try {
        const backendMap = parseBackendLines(values.backend ?? [], '=');
        if (backendMap.size < 2)
            throw new ConfigError('name at least two backends: --backend sqlite=GLOB --backend postgres=GLOB');
        const output = values.output ?? DEFAULT_CONFIG_PATH;
        const target = output === '-' ? undefined : path.resolve(io.cwd, output);
        if (target !== undefined && existsSync(target) && values.force !== true) {
            io.stderr(`${PREFIX$1}: ${output} already exists; not overwritten (review it, or pass --force to replace it, or --output - to print the draft)\n`);
            return 2;
        }
        // The default place is made when missing (a new repository may have no .github yet); a
        // folder the user named must exist, as for every other --output.
        if (target !== undefined && values.output === undefined && !existsSync(path.dirname(target)))
            mkdirSync(path.dirname(target), { recursive: true });
        if (target !== undefined)
            checkOutputPath(output, io.cwd);
        const backends = [...backendMap].map(([name, reports]) => ({ name, reports }));
        const names = backends.map((b) => b.name);
        const run = async (backendInName) => {
            const config = buildConfig({ backends: backendMap.size > 0 ? Object.fromEntries(backendMap) : {}, 'min-tests': 0, drift: 'off', ...(backendInName === undefined ? {} : { 'backend-in-name': backendInName }) });
            const verdict = await evaluateWorkspace({ config, workspace: io.cwd, env: io.env, now: io.now, digest: true });
            const tests = decodeDigest(verdict.digest ?? '').tests;
            return { verdict, ids: [...new Set(tests.map((t) => t.id))], paired: tests.filter((t) => names.every((n) => t.backends.includes(n))).length };
        };
        let best = await run();
        if (best.verdict.errors.length > 0 && best.verdict.unassigned === 0) {
            for (const error of best.verdict.errors)
                io.stderr(`${PREFIX$1}: ${error.message}\n`);
            return 2;
        }
        let backendInName;
        for (const candidate of backendInNameCandidates(best.ids, names)) {
            const tried = await run(candidate);
            // Only when the engine pairs more tests with it and no name lands in the wrong backend's report.
            if (tried.paired > best.paired && tried.verdict.crossLeg.length === 0 && tried.verdict.errors.length === 0) {
                best = tried;
                backendInName = candidate;
            }
        }
        const noReport = best.verdict.gaps.filter((g) => g.kind === 'no-report' || g.kind === 'empty');
        if (noReport.length > 0) {
            for (const gap of noReport)
                io.stderr(`${PREFIX$1}: ${gap.backend}: ${gap.reason}\n`);
            return 2;
        }
        const input = { backends, gaps: best.verdict.gaps, ids: best.ids, ...(backendInName === undefined ? {} : { backendInName }) };
        const draft = draftExemptions(input);
        const text = renderDraft(input, draft);
        if (target === undefined)
            io.stdout(text);
        else
            writeFileSync(target, text);
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        io.stderr([
            `${PREFIX$1}: ${best.ids.length} tests: ${draft.paired} ran on every backend, ${draft.oneSided} one-sided in ${draft.exemptions.length} draft exemption(s), ${draft.failing.length} failing (not exempted)${backendInName === undefined ? '' : `; backend-in-name: ${backendInName}`} (${seconds}s)`,
            target === undefined ? '' : `  wrote ${output}: review it and replace each "TODO" reason with why those tests run only there, then run dual-backend-coverage${output === DEFAULT_CONFIG_PATH ? '' : ` --config ${output}`}`,
            ''
        ]
            .filter((line, i) => i !== 1 || line.length > 0)
            .join('\n'));
        return 0;
    }
    catch (error) {
        io.stderr(`${PREFIX$1}: ${error instanceof ConfigError || error instanceof OutputError ? '' : 'internal error: '}${error.message}\n`);
        return 2;
    }
}

// Rewrites report text with the gate's redaction and changes nothing else, so a JUnit file can be
// uploaded as an artifact without the database passwords in it (`dual-backend-coverage scrub`).
//
// A streaming state machine over XML text: decoded string pieces of any size, cut anywhere (inside
// "<!--", "<![CDATA[", "&amp;", a quoted value, a surrogate pair). Text nodes, attribute values,
// CDATA sections and comments are "content runs"; tags, processing instructions and DOCTYPEs
// pass through untouched. Each run is decoded (entities in text and attribute values; CDATA and
// comments as they are) and redacted. An unchanged run is emitted as it came, byte for byte; a
// changed one is re-encoded only between the common prefix and the common suffix of the decoded
// and the redacted text, so everything around the masked span(s) stays as written.
//
// Text and CDATA sections that follow each other with no other markup between them
// (`a<![CDATA[b]]><![CDATA[c]]>d`, also a reporter's `]]]]><![CDATA[>` split) are redacted as one
// text, as the gate reads them: a secret split over two sections is masked too.
//
// Pure: no I/O, no node: modules. Linear in the input; it holds at most MAX_RUN_CHARS of content
// (plus the piece being pushed and the output of that piece).
/** Content runs longer than this are redacted in pieces, so memory stays bounded. */
const MAX_RUN_CHARS = 1 << 20;
/** A long run is cut at its last line break within this many characters of the limit. */
const CUT_WINDOW = 1 << 16;
/** An entity reference longer than this is not one we decode (`&#x10FFFF;` is 10 characters). */
const MAX_ENTITY_CHARS = 32;
/** Characters of a tag name kept: enough to tell "testcase" and "/testcase" from others. */
const MAX_NAME_CHARS = 64;
const TEXT = 0;
const OPEN = 1; // just after "<", not yet told what follows
const TAG = 2;
const ATTRIBUTE = 3;
const COMMENT = 4;
const CDATA = 5;
const PI = 6;
const DECLARATION = 7; // <!DOCTYPE …> and any other <!…>
class ReportScrubber {
    redact;
    state = TEXT;
    /** Input not yet looked at: a possible delimiter cut by the end of a piece, or a high surrogate. */
    carry = '';
    out = '';
    /** The content run being read (its kind is `state`). */
    run = [];
    runChars = 0;
    /** Whether "<![CDATA[" of the CDATA run being read went out already (with a piece cut off it). */
    runOpened = false;
    /** Finished text and CDATA runs next to each other, redacted together once other markup comes. */
    group = [];
    groupChars = 0;
    /** A piece of the content being read changed; counted when it ends. */
    changed = false;
    /** The quote of the attribute value being read. */
    quote = '"';
    tagName = '';
    nameDone = false;
    /** The last non-blank character of the tag so far was "/" (an empty-element tag, once ">" comes). */
    selfClosing = false;
    declQuote = 0;
    declDepth = 0;
    /** Inside a DOCTYPE's internal subset: in a comment (COMMENT) or processing instruction (PI), or 0. */
    declInner = 0;
    inCase = false;
    caseCounted = false;
    maskedRuns = 0;
    maskedCases = 0;
    constructor(redact) {
        this.redact = redact;
    }
    /** Content runs (text, attribute value, CDATA section, comment) the redaction changed; text and CDATA next to each other count once. */
    get masked() {
        return this.maskedRuns;
    }
    /** Distinct <testcase> elements holding a changed run (in an attribute or anywhere inside). */
    get testcases() {
        return this.maskedCases;
    }
    /** Takes the next piece of decoded text; returns the scrubbed text that is ready. */
    push(text) {
        let input = this.carry + text;
        this.carry = '';
        // A high surrogate waits for its pair: no returned piece ends in half a character.
        let held = '';
        const last = input.charCodeAt(input.length - 1);
        if (last >= 0xd800 && last <= 0xdbff) {
            held = input.slice(-1);
            input = input.slice(0, -1);
        }
        this.process(input, false);
        this.carry += held;
        return this.take();
    }
    /** The end of the text: flushes what was held (a run the file's end cut short is redacted too). */
    end() {
        const input = this.carry;
        this.carry = '';
        this.process(input, true);
        if (this.state === TEXT || this.state === ATTRIBUTE || this.state === COMMENT || this.state === CDATA)
            this.endRun(false);
        this.flushGroup();
        this.unitEnd();
        return this.take();
    }
    take() {
        const out = this.out;
        this.out = '';
        return out;
    }
    emit(text) {
        this.out += text;
    }
    process(buf, final) {
        const n = buf.length;
        let i = 0;
        while (i < n) {
            switch (this.state) {
                case TEXT:
                    i = this.text(buf, i);
                    break;
                case OPEN:
                    i = this.open(buf, i, final);
                    break;
                case TAG:
                    i = this.tag(buf, i);
                    break;
                case ATTRIBUTE:
                    i = this.attribute(buf, i);
                    break;
                case COMMENT:
                    i = this.delimited(buf, i, '-->', final);
                    break;
                case CDATA:
                    i = this.delimited(buf, i, ']]>', final);
                    break;
                case PI:
                    i = this.instruction(buf, i, final);
                    break;
                default:
                    i = this.declaration(buf, i, final);
            }
        }
    }
    text(buf, i) {
        const lt = buf.indexOf('<', i);
        if (lt < 0) {
            this.addRun(buf, i, buf.length);
            return buf.length;
        }
        this.addRun(buf, i, lt);
        this.endRun(false);
        this.state = OPEN;
        return lt;
    }
    /** At "<": a comment, a CDATA section, a declaration, a processing instruction or a tag. */
    open(buf, i, final) {
        const head = buf.slice(i, i + 9);
        if (head.startsWith('<![CDATA[')) {
            // Joins the text or CDATA before it, if any: its "<![CDATA[" goes out with the group.
            this.state = CDATA;
            this.runOpened = false;
            return i + 9;
        }
        if (!final && (head.length < 2 || '<!--'.startsWith(head) || '<![CDATA['.startsWith(head))) {
            this.carry = buf.slice(i);
            return buf.length;
        }
        // Any other markup ends the text before it.
        this.flushGroup();
        this.unitEnd();
        if (head.startsWith('<!--')) {
            this.emit('<!--');
            this.state = COMMENT;
            return i + 4;
        }
        if (head[1] === '!') {
            this.emit('<!');
            this.state = DECLARATION;
            this.declQuote = 0;
            this.declDepth = 0;
            this.declInner = 0;
            return i + 2;
        }
        if (head[1] === '?') {
            this.emit('<?');
            this.state = PI;
            return i + 2;
        }
        this.emit('<');
        this.state = TAG;
        this.tagName = '';
        this.nameDone = false;
        this.selfClosing = false;
        return i + 1;
    }
    /** Markup of a start or end tag, outside attribute values: passed through as it is. */
    tag(buf, i) {
        const n = buf.length;
        for (let k = i; k < n; k++) {
            const c = buf.charCodeAt(k);
            if (c === 0x3e) {
                this.emit(buf.slice(i, k + 1));
                if (!this.nameDone)
                    this.nameEnd();
                if (this.selfClosing && this.tagName === 'testcase')
                    this.inCase = false;
                this.state = TEXT;
                return k + 1;
            }
            if (c === 0x22 || c === 0x27) {
                this.emit(buf.slice(i, k + 1));
                if (!this.nameDone)
                    this.nameEnd();
                this.quote = c === 0x22 ? '"' : "'";
                this.selfClosing = false;
                this.state = ATTRIBUTE;
                return k + 1;
            }
            const blank = c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
            if (!this.nameDone) {
                if (blank || (c === 0x2f && this.tagName.length > 0))
                    this.nameEnd();
                else if (this.tagName.length < MAX_NAME_CHARS)
                    this.tagName += buf[k];
            }
            if (!blank)
                this.selfClosing = c === 0x2f;
        }
        this.emit(buf.slice(i, n));
        return n;
    }
    nameEnd() {
        this.nameDone = true;
        if (this.tagName === 'testcase') {
            this.inCase = true;
            this.caseCounted = false;
        }
        else if (this.tagName === '/testcase') {
            this.inCase = false;
        }
    }
    attribute(buf, i) {
        const close = buf.indexOf(this.quote, i);
        if (close < 0) {
            this.addRun(buf, i, buf.length);
            return buf.length;
        }
        this.addRun(buf, i, close);
        this.endRun(true);
        this.unitEnd();
        this.emit(this.quote);
        this.state = TAG;
        return close + 1;
    }
    /** The content of a comment ("-->") or a CDATA section ("]]>"). */
    delimited(buf, i, close, final) {
        const n = buf.length;
        const at = buf.indexOf(close, i);
        if (at >= 0) {
            this.addRun(buf, i, at);
            this.endRun(true);
            if (this.state === COMMENT) {
                this.unitEnd();
                this.emit(close);
            }
            this.state = TEXT;
            return at + close.length;
        }
        const keep = final ? n : Math.max(i, n - partialDelimiter(buf, close));
        this.addRun(buf, i, keep);
        if (keep < n)
            this.carry = buf.slice(keep);
        return n;
    }
    /** A processing instruction (also the XML declaration): passed through to its "?>". */
    instruction(buf, i, final) {
        const n = buf.length;
        const at = buf.indexOf('?>', i);
        if (at >= 0) {
            this.emit(buf.slice(i, at + 2));
            this.state = TEXT;
            return at + 2;
        }
        const keep = final ? n : Math.max(i, n - partialDelimiter(buf, '?>'));
        this.emit(buf.slice(i, keep));
        if (keep < n)
            this.carry = buf.slice(keep);
        return n;
    }
    /**
     * A DOCTYPE (or another "<!" declaration), passed through to its closing ">": quoted strings,
     * the [internal subset], and comments and processing instructions inside it are stepped over.
     * The gate refuses a DOCTYPE; here it only has to be found whole, so what follows it is read right.
     */
    declaration(buf, i, final) {
        const n = buf.length;
        let k = i;
        while (k < n) {
            if (this.declInner !== 0) {
                const close = this.declInner === COMMENT ? '-->' : '?>';
                const at = buf.indexOf(close, k);
                if (at < 0) {
                    const keep = final ? n : Math.max(k, n - partialDelimiter(buf, close));
                    this.emit(buf.slice(i, keep));
                    if (keep < n)
                        this.carry = buf.slice(keep);
                    return n;
                }
                k = at + close.length;
                this.declInner = 0;
                continue;
            }
            const c = buf.charCodeAt(k);
            if (this.declQuote !== 0) {
                if (c === this.declQuote)
                    this.declQuote = 0;
            }
            else if (c === 0x22 || c === 0x27) {
                this.declQuote = c;
            }
            else if (c === 0x5b) {
                this.declDepth++;
            }
            else if (c === 0x5d) {
                if (this.declDepth > 0)
                    this.declDepth--;
            }
            else if (c === 0x3c && this.declDepth > 0) {
                const head = buf.slice(k, k + 4);
                if (head === '<!--') {
                    this.declInner = COMMENT;
                    k += 4;
                    continue;
                }
                if (head.startsWith('<?')) {
                    this.declInner = PI;
                    k += 2;
                    continue;
                }
                if (!final && head.length < 4 && '<!--'.startsWith(head)) {
                    this.emit(buf.slice(i, k));
                    this.carry = buf.slice(k);
                    return n;
                }
            }
            else if (c === 0x3e && this.declDepth === 0) {
                this.emit(buf.slice(i, k + 1));
                this.state = TEXT;
                return k + 1;
            }
            k++;
        }
        this.emit(buf.slice(i, n));
        return n;
    }
    addRun(buf, from, to) {
        if (to <= from)
            return;
        this.run.push(from === 0 && to === buf.length ? buf : buf.slice(from, to));
        this.runChars += to - from;
        if (this.runChars + this.groupChars > MAX_RUN_CHARS) {
            // The finished runs next to this one go out first, redacted together without it.
            this.flushGroup();
            if (this.runChars > MAX_RUN_CHARS)
                this.cutRun();
        }
    }
    /**
     * A run past MAX_RUN_CHARS is redacted in pieces: each ends at the last line break within the
     * last CUT_WINDOW characters of the limit, or, with none there, at the limit (never inside an
     * entity reference or a surrogate pair). A secret that spans such a cut is not seen whole and
     * may be missed; runs this long are captured output, which breaks lines far more often. The
     * same holds where a text or CDATA run next to finished ones passes the limit: they are
     * redacted without it.
     */
    cutRun() {
        let text = this.run.join('');
        const kind = this.state;
        while (text.length > MAX_RUN_CHARS) {
            const cut = cutPoint(text, kind === TEXT || kind === ATTRIBUTE);
            this.redactSegments([{ kind, raw: text.slice(0, cut), open: kind === CDATA && !this.runOpened, close: false }]);
            this.runOpened = true;
            text = text.slice(cut);
        }
        this.run = [text];
        this.runChars = text.length;
    }
    /** The run being read ends: text and CDATA join the group; an attribute value or comment goes out now. */
    endRun(closed) {
        const kind = this.state;
        const raw = this.run.length === 1 ? this.run[0] : this.run.join('');
        this.run = [];
        this.runChars = 0;
        if (kind === CDATA) {
            this.group.push({ kind, raw, open: !this.runOpened, close: closed });
            this.groupChars += raw.length;
            this.runOpened = false;
        }
        else if (kind === TEXT) {
            if (raw.length === 0)
                return;
            this.group.push({ kind, raw, open: false, close: false });
            this.groupChars += raw.length;
        }
        else if (raw.length > 0) {
            this.redactSegments([{ kind, raw, open: false, close: false }]);
        }
    }
    flushGroup() {
        if (this.group.length === 0)
            return;
        this.redactSegments(this.group);
        this.group.length = 0;
        this.groupChars = 0;
    }
    /** The end of a text (a group, an attribute value, a comment): counts it if it changed. */
    unitEnd() {
        if (!this.changed)
            return;
        this.changed = false;
        this.maskedRuns++;
        if (this.inCase && !this.caseCounted) {
            this.caseCounted = true;
            this.maskedCases++;
        }
    }
    /**
     * Redacts segments read as one text (a single run, or text and CDATA next to each other) and
     * emits them. Unchanged: as they came. Changed: the span between the common prefix and suffix
     * of the decoded and the redacted text is re-encoded, all of it in the first segment it touches
     * (the others lose their part of it); everything outside it stays as written.
     */
    redactSegments(segments) {
        let decoded;
        let plains;
        let joined;
        if (segments.length === 1) {
            // The common case, without the arrays until something changed.
            const segment = segments[0];
            const run = (segment.kind === TEXT || segment.kind === ATTRIBUTE) && segment.raw.includes('&') ? decodeEntities(segment.raw) : undefined;
            joined = run === undefined ? segment.raw : run.text;
            decoded = [run];
            plains = [joined];
        }
        else {
            decoded = segments.map((segment) => (segment.kind === TEXT && segment.raw.includes('&') ? decodeEntities(segment.raw) : undefined));
            plains = segments.map((segment, i) => decoded[i]?.text ?? segment.raw);
            joined = plains.join('');
        }
        const redacted = this.redact(joined);
        if (redacted === joined) {
            for (const segment of segments)
                this.emitSegment(segment, segment.raw);
            return;
        }
        this.changed = true;
        const limit = Math.min(joined.length, redacted.length);
        let start = 0;
        while (start < limit && joined.charCodeAt(start) === redacted.charCodeAt(start))
            start++;
        let tail = 0;
        while (tail < limit - start && joined.charCodeAt(joined.length - 1 - tail) === redacted.charCodeAt(redacted.length - 1 - tail))
            tail++;
        // Whole characters only: an entity decodes to one code point, so the bounds fall between entities.
        if (start > 0 && isHighSurrogate(joined.charCodeAt(start - 1)))
            start--;
        if (tail > 0 && isLowSurrogate(joined.charCodeAt(joined.length - tail)))
            tail--;
        const end = joined.length - tail;
        const middle = redacted.slice(start, redacted.length - tail);
        let placed = false;
        let from = 0;
        segments.forEach((segment, i) => {
            const plain = plains[i];
            const to = from + plain.length;
            // The segments the changed span covers; an empty span (an insertion) goes in the first one reaching it.
            const touched = start < end ? to > start && from < end : !placed && to >= start;
            if (!touched) {
                this.emitSegment(segment, segment.raw);
            }
            else {
                const run = decoded[i];
                const localStart = Math.max(from, start) - from;
                const localEnd = Math.min(to, end) - from;
                const rawStart = run === undefined ? localStart : rawOffset(run, localStart);
                const rawEnd = run === undefined ? localEnd : rawOffset(run, localEnd);
                const inserted = placed ? '' : middle;
                placed = true;
                this.emitSegment(segment, segment.raw.slice(0, rawStart) + encode(inserted, segment.kind, this.quote) + segment.raw.slice(rawEnd), segment.raw);
            }
            from = to;
        });
    }
    emitSegment(segment, content, raw = content) {
        if (segment.kind !== CDATA) {
            // A mask never makes "--" ("***" replaces, it never joins), but a redactor is a parameter:
            // the output stays well-formed whatever it returns.
            this.emit(segment.kind === COMMENT && content !== raw && content.includes('--') && !raw.includes('--') ? content.replace(/-(?=-)/g, '- ') : content);
            return;
        }
        const safe = content !== raw && content.includes(']]>') ? content.replace(/]]>/g, ']]]]><![CDATA[>') : content;
        this.emit((segment.open ? '<![CDATA[' : '') + safe + (segment.close ? ']]>' : ''));
    }
}
/** Redacted text in its context: escaped in text and attribute values, as it is in CDATA and comments. */
function encode(text, kind, quote) {
    if (kind === TEXT)
        return escapeXml(text, '');
    if (kind === ATTRIBUTE)
        return escapeXml(text, quote);
    return text;
}
/** How many characters at the end of `buf` may be the start of `close` cut by the piece's end. */
function partialDelimiter(buf, close) {
    for (let length = Math.min(close.length - 1, buf.length); length > 0; length--) {
        if (buf.endsWith(close.slice(0, length)))
            return length;
    }
    return 0;
}
function cutPoint(text, entities) {
    const lineBreak = text.lastIndexOf('\n', MAX_RUN_CHARS - 1);
    if (lineBreak >= MAX_RUN_CHARS - CUT_WINDOW)
        return lineBreak + 1;
    let cut = MAX_RUN_CHARS;
    if (isHighSurrogate(text.charCodeAt(cut - 1)))
        cut--;
    if (entities) {
        const amp = text.lastIndexOf('&', cut - 1);
        if (amp > cut - MAX_ENTITY_CHARS && text.lastIndexOf(';', cut - 1) < amp)
            cut = amp;
    }
    return cut;
}
function isHighSurrogate(code) {
    return code >= 0xd800 && code <= 0xdbff;
}
function isLowSurrogate(code) {
    return code >= 0xdc00 && code <= 0xdfff;
}
const NAMED = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
/** The five predefined entities and character references; anything else stays as written. */
function decodeEntities(raw) {
    let text = '';
    let copied = 0;
    let shift = 0;
    const ends = [];
    const shifts = [];
    for (let amp = raw.indexOf('&'); amp >= 0; amp = raw.indexOf('&', amp + 1)) {
        const semicolon = referenceEnd(raw, amp);
        if (semicolon < 0)
            continue;
        const char = referenceValue(raw.slice(amp + 1, semicolon));
        if (char === undefined)
            continue;
        text += raw.slice(copied, amp) + char;
        copied = semicolon + 1;
        shift += semicolon + 1 - amp - char.length;
        ends.push(text.length);
        shifts.push(shift);
    }
    return { text: text + raw.slice(copied), ends, shifts };
}
/** The ";" closing the reference at `amp`, looked for within MAX_ENTITY_CHARS (linear overall), or -1. */
function referenceEnd(raw, amp) {
    const limit = Math.min(raw.length, amp + MAX_ENTITY_CHARS);
    for (let k = amp + 1; k < limit; k++) {
        const c = raw.charCodeAt(k);
        if (c === 0x3b)
            return k;
        if (c === 0x26 || c === 0x3c || c <= 0x20)
            return -1;
    }
    return -1;
}
function referenceValue(name) {
    const named = NAMED[name];
    if (named !== undefined)
        return named;
    let code;
    if (/^#[0-9]+$/.test(name))
        code = Number.parseInt(name.slice(1), 10);
    else if (/^#x[0-9a-fA-F]+$/.test(name))
        code = Number.parseInt(name.slice(2), 16);
    else
        return undefined;
    if (code < 1 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
        return undefined;
    return String.fromCodePoint(code);
}
/** Where decoded index `at` (between two characters) lies in the raw text. */
function rawOffset(run, at) {
    // The last reference ending at or before `at`: binary search over the sorted ends.
    let low = 0;
    let high = run.ends.length;
    while (low < high) {
        const mid = (low + high) >>> 1;
        if (run.ends[mid] <= at)
            low = mid + 1;
        else
            high = mid;
    }
    return low === 0 ? at : at + run.shifts[low - 1];
}
/** Text as XML character data: & < > always, and the value's quote inside an attribute. */
function escapeXml(text, quote) {
    let out = '';
    let copied = 0;
    for (let k = 0; k < text.length; k++) {
        const c = text[k];
        const entity = c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === quote ? (quote === '"' ? '&quot;' : '&apos;') : undefined;
        if (entity === undefined)
            continue;
        out += text.slice(copied, k) + entity;
        copied = k + 1;
    }
    return copied === 0 ? text : out + text.slice(copied);
}

// dual-backend-coverage scrub [--config FILE] [--redact-env NAME]... FILE_OR_GLOB...
//
// Rewrites JUnit report files in place with the gate's redaction, so a step before
// actions/upload-artifact can make the uploaded reports safe: the same rules and `redact-env`
// values as the gate, applied to text, attribute values, CDATA and comments; nothing else changes.
// Exit 0: every file was scrubbed or was clean. 2: usage or config error, a path refused, a file
// unreadable or not UTF-8, or a pattern that matched nothing (the other files are still scrubbed).
const EXIT_SUCCESS$1 = 0;
const EXIT_ERROR$1 = 2;
const PREFIX = 'dual-backend-coverage scrub';
const USAGE$1 = `Usage: dual-backend-coverage scrub [--config FILE] [--redact-env NAME]... FILE_OR_GLOB...

Rewrites JUnit XML reports in place with the gate's redaction (URL passwords, password=… forms,
token shapes, and the values of the redact-env variables), so they can be uploaded as artifacts.
Only the masked values change; a file with nothing to mask is left untouched.
  --config FILE      YAML config whose redact-env to use (default .github/dual-backend.yml when it exists)
  --redact-env NAME  also mask the value of this environment variable; repeat for more
  -h, --help         show this help

Files and globs are relative to the working directory and must stay inside it ("!glob" excludes).
Exit status: 0 every file scrubbed or clean, 2 usage or config error, or a file refused, unreadable,
not UTF-8, or a pattern that matched nothing.
`;
/** 64 KiB reads, as the gate reads reports (see src/io/reports.ts). */
const READ_CHUNK = 1 << 16;
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
class ScrubFileError extends Error {
}
/**
 * `argv` holds the arguments after the command word; a leading "scrub" is taken as that word
 * (scrub a file named "scrub" as "./scrub").
 */
async function runScrub(argv, io) {
    const args = argv[0] === 'scrub' ? argv.slice(1) : argv;
    let parsed;
    try {
        parsed = parseArgs({
            args,
            options: { config: { type: 'string' }, 'redact-env': { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } },
            strict: true,
            allowPositionals: true
        });
    }
    catch (error) {
        io.stderr(`${PREFIX}: ${error.message}\n\n${USAGE$1}`);
        return EXIT_ERROR$1;
    }
    const { values, positionals: patterns } = parsed;
    if (values.help === true) {
        io.stdout(USAGE$1);
        return EXIT_SUCCESS$1;
    }
    if (!patterns.some((pattern) => !pattern.startsWith('!'))) {
        io.stderr(`${PREFIX}: name the report files or globs to scrub\n\n${USAGE$1}`);
        return EXIT_ERROR$1;
    }
    let redact;
    try {
        const config = scrubConfig(values.config, io.cwd);
        const extra = (values['redact-env'] ?? []).map((name) => io.env[name]).filter((value) => value !== undefined && value.length > 0);
        redact = redactorFor(config, io.env, extra);
        // Nothing is read when any pattern names a place outside the working directory.
        patterns.forEach((pattern) => assertPatternInWorkspace(pattern.startsWith('!') ? pattern.slice(1) : pattern));
    }
    catch (error) {
        if (error instanceof ConfigError || error instanceof UnsafePathError)
            io.stderr(`${PREFIX}: ${error.message}\n`);
        else
            io.stderr(`${PREFIX}: internal error: ${error.message}\n`);
        return EXIT_ERROR$1;
    }
    // What is printed comes from file names: masked like report text, and never a workflow command.
    const shown = (name) => defuseWorkflowCommands(redact(name).replace(/[\x00-\x1f\x7f\u2028\u2029]/g, '?'));
    let failed = false;
    const fail = (message) => {
        failed = true;
        io.stderr(`${PREFIX}: ${message}\n`);
    };
    const root = await realpath$1(io.cwd);
    const { files, refused } = await matchPatterns(patterns, root, (pattern) => fail(`no file matched ${shown(pattern)}`));
    for (const [match, reason] of refused)
        fail(`${shown(match)}: refused: ${reason}; reports must be regular files inside the workspace`);
    // A link inside the workspace is scrubbed at its target (replacing the link would leave the
    // target as it was), and a target named twice is scrubbed once.
    const done = new Set();
    for (const file of files) {
        try {
            const target = await realpath$1(path.join(root, file));
            if (!isInside(root, target))
                throw new ScrubFileError('refused: it resolves outside the workspace (symbolic link)');
            if (done.has(target))
                continue;
            done.add(target);
            const result = await scrubFile(target, redact);
            if (result.masked === 0)
                io.stdout(`clean: ${shown(file)}\n`);
            else
                io.stdout(`scrubbed ${shown(file)}: ${plural(result.masked, 'value')} masked in ${plural(result.testcases, 'testcase')}\n`);
            if (result.masked > 0 && result.links > 1) {
                io.stderr(`${PREFIX}: note: ${shown(file)} had ${result.links - 1} other hard link(s); they still hold the unscrubbed report\n`);
            }
        }
        catch (error) {
            if (error instanceof ScrubFileError)
                fail(`${shown(file)}: ${error.message}`);
            else
                fail(`${shown(file)}: could not be scrubbed (${describe(error)}); left unchanged`);
        }
    }
    return failed ? EXIT_ERROR$1 : EXIT_SUCCESS$1;
}
function plural(count, word) {
    return `${count} ${word}${count === 1 ? '' : 's'}`;
}
function describe(error) {
    return error.code ?? error.message;
}
/**
 * The config for its `redact-env` and backend names (never masked as bare words). No config file
 * is fine: the default variables. A file without `backends` (given to the action as an input
 * instead) is fine too: scrubbing compares nothing.
 */
function scrubConfig(configPath, cwd) {
    const explicit = configPath !== undefined && configPath.length > 0;
    if (!explicit && !existsSync(path.resolve(cwd, DEFAULT_CONFIG_PATH)))
        return buildConfig({}, 'config');
    try {
        return loadConfig({ path: configPath, cwd });
    }
    catch (error) {
        if (!(error instanceof ConfigError) || !/^backends: at least two backends/.test(error.message))
            throw error;
        const file = explicit ? configPath : DEFAULT_CONFIG_PATH;
        const document = yaml.load(readFileSync(path.resolve(cwd, file), 'utf8'), { filename: file, schema: yaml.CORE_SCHEMA }) ?? {};
        return buildConfig(document, file);
    }
}
/**
 * The files the patterns match, with the gate's rules (src/io/reports.ts findReports): inside the
 * working directory, links followed only when they resolve inside it, a recursive "**" never
 * walking into a linked folder. Each positive pattern must match something; "!" patterns exclude.
 */
async function matchPatterns(patterns, root, unmatched) {
    const negatives = patterns.filter((pattern) => pattern.startsWith('!'));
    const files = new Set();
    const refused = new Map();
    const config = buildConfig({}, 'config');
    for (const pattern of patterns) {
        if (pattern.startsWith('!'))
            continue;
        const found = await findReports({ ...config, backends: [{ name: 'scrub', reports: [pattern, ...negatives], artifacts: [] }] }, root);
        if (found.files.size === 0 && found.refused.length === 0)
            unmatched(pattern);
        for (const file of found.files.keys())
            files.add(file);
        found.refused.forEach((match, i) => refused.set(match, found.refusedReasons?.[i] ?? 'it resolves outside the workspace (symbolic link)'));
    }
    return { files: [...files].sort(), refused };
}
/**
 * Streams one file through the decoder and the scrubber into a temporary file next to it, then
 * renames that over the original (atomic; mode, and owner where allowed, kept). A clean file is
 * left untouched (the temporary file is removed): same bytes, same modification time.
 */
async function scrubFile(file, redact) {
    const info = await stat(file);
    if (!info.isFile())
        throw new ScrubFileError('not a regular file');
    let input;
    try {
        input = openSync(file, 'r');
    }
    catch (error) {
        throw new ScrubFileError(`could not be read (${describe(error)})`);
    }
    const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}-${randomBytes(4).toString('hex')}.scrub`);
    let output;
    let renamed = false;
    try {
        const decoder = new ReportDecoder();
        const scrubber = new ReportScrubber(redact);
        let first = true;
        for (;;) {
            const chunk = Buffer.allocUnsafe(READ_CHUNK);
            let read;
            try {
                read = readSync(input, chunk, 0, READ_CHUNK, null);
            }
            catch (error) {
                throw new ScrubFileError(`could not be read (${describe(error)}); left unchanged`);
            }
            const bytes = read === READ_CHUNK ? chunk : chunk.subarray(0, read);
            if (first) {
                first = false;
                const encoding = sniffEncoding(bytes);
                if (encoding !== 'utf-8') {
                    const label = encoding === 'windows-1252' ? 'a Latin-1/ASCII encoding by its XML declaration' : encoding.toUpperCase();
                    throw new ScrubFileError(`is ${label}: scrub writes reports back as UTF-8 only, so it is left unchanged (make the test runner write UTF-8)`);
                }
                try {
                    output = openSync(temporary, 'wx', 0o600);
                }
                catch (error) {
                    throw new ScrubFileError(`could not write a scrubbed copy next to it (${describe(error)}); left unchanged`);
                }
                // The decoder drops a byte-order mark: put it back.
                if (bytes.subarray(0, 3).equals(UTF8_BOM))
                    writeAll(output, UTF8_BOM);
            }
            if (read === 0)
                break;
            writeText(output, scrubber.push(decode(() => decoder.push(bytes))));
        }
        writeText(output, scrubber.push(decode(() => decoder.end())));
        writeText(output, scrubber.end());
        if (scrubber.masked === 0)
            return { masked: 0, testcases: 0, links: info.nlink };
        const fd = output;
        fchmodSync(fd, info.mode & 0o7777);
        try {
            fchownSync(fd, info.uid, info.gid);
        }
        catch {
            // Only root may give a file away; the owner is then ours, as for any rewritten file.
        }
        fsyncSync(fd);
        closeSync(fd);
        output = undefined;
        renameSync(temporary, file);
        renamed = true;
        return { masked: scrubber.masked, testcases: scrubber.testcases, links: info.nlink };
    }
    finally {
        closeSync(input);
        if (output !== undefined)
            closeSync(output);
        if (!renamed) {
            try {
                unlinkSync(temporary);
            }
            catch {
                // Never created, or already gone.
            }
        }
    }
}
function decode(step) {
    try {
        return step();
    }
    catch (error) {
        if (error instanceof InvalidEncodingError) {
            throw new ScrubFileError(`invalid ${error.encoding} (byte offset ${error.byteOffset}); left unchanged`);
        }
        throw error;
    }
}
function writeText(fd, text) {
    if (text.length > 0)
        writeAll(fd, Buffer.from(text, 'utf8'));
}
function writeAll(fd, bytes) {
    let written = 0;
    while (written < bytes.length)
        written += writeSync(fd, bytes, written, bytes.length - written);
}

// The version `--version` prints. Kept equal to package.json's by tests/cli/version.test.ts (a
// release bumps both), so the bundle needs no JSON import.
const VERSION = '1.0.0';

function gapObject(gap) {
    return {
        test: gap.test,
        backend: gap.backend,
        kind: gap.kind,
        ...(gap.message === undefined ? {} : { message: gap.message }),
        ...(gap.file === undefined ? {} : { file: gap.file }),
        ...(gap.line === undefined ? {} : { line: gap.line }),
        reason: gap.reason,
        others: gap.others
    };
}
/** "##[" anywhere in a log line is an old-style workflow command: write its "#" as \u0023 (same data). */
function neutralise(json) {
    return json.includes('##[') ? json.replace(/##\[/g, '#\\u0023[') : json;
}
function renderJson(verdict) {
    const gaps = verdict.gaps.map(gapObject);
    const document = {
        conclusion: verdict.conclusion,
        title: verdict.title,
        backends: verdict.backends,
        tests: verdict.tests,
        gaps,
        exemptions: verdict.exemptions,
        flaky: verdict.flaky,
        crossLeg: verdict.crossLeg,
        unassigned: verdict.unassigned,
        errors: verdict.errors,
        drift: verdict.drift,
        ...(verdict.unreachable === undefined ? {} : { unreachable: verdict.unreachable }),
        ...(verdict.outOfScope === undefined || verdict.outOfScope.length === 0 ? {} : { outOfScope: verdict.outOfScope }),
        // This run's test inventory (src/core/inventory.ts): `--baseline` reads it back.
        ...(verdict.digest === undefined ? {} : { inventory: verdict.digest })
    };
    return `${neutralise(JSON.stringify(document, null, 2))}\n`;
}
/**
 * renderJson()'s exact text in pieces, one gap at a time, so a verdict with 100,000 gaps is never
 * held as one string (at 2 x 1M testcases: peak RSS 585 MB -> 307 MB). No "##[" can span two
 * pieces: they meet at JSON punctuation and indentation only.
 */
function* renderJsonPieces(verdict) {
    const shell = renderJson({ ...verdict, gaps: [] });
    const marker = '\n  "gaps": [],\n';
    const at = shell.indexOf(marker);
    if (verdict.gaps.length === 0 || at < 0) {
        yield verdict.gaps.length === 0 ? shell : renderJson(verdict);
        return;
    }
    yield `${shell.slice(0, at)}\n  "gaps": [\n`;
    const last = verdict.gaps.length - 1;
    const memo = new JsonMemo();
    for (let i = 0; i <= last; i++) {
        const gap = verdict.gaps[i];
        const item = gapText(gap, memo) ?? `    ${JSON.stringify(gapObject(gap), null, 2).replace(/\n/g, '\n    ')}`;
        yield `${neutralise(item)}${i < last ? ',\n' : '\n'}`;
    }
    yield `  ],\n${shell.slice(at + marker.length)}`;
}
/**
 * JSON.stringify(gapObject(gap), null, 2), indented four more spaces, written out directly: the
 * same text (tests/core/json.test.ts) at a third of the cost for 100,000 gaps. Anything but the
 * plain field types a Gap has (strings, a number, an object of strings) takes the generic path.
 */
function gapText(gap, memo) {
    const { test, backend, kind, message, file, line, reason, others } = gap;
    if (typeof test !== 'string' || typeof backend !== 'string' || typeof kind !== 'string' || typeof reason !== 'string')
        return undefined;
    if ((message !== undefined && typeof message !== 'string') || (file !== undefined && typeof file !== 'string'))
        return undefined;
    if ((line !== undefined && typeof line !== 'number') || typeof others !== 'object' || others === null)
        return undefined;
    if (Object.getPrototypeOf(others) !== Object.prototype)
        return undefined;
    let text = `    {\n      "test": ${JSON.stringify(test)},\n      "backend": ${memo.backend(backend)},\n      "kind": ${memo.kind(kind)},\n`;
    if (message !== undefined)
        text += `      "message": ${JSON.stringify(message)},\n`;
    if (file !== undefined)
        text += `      "file": ${memo.file(file)},\n`;
    if (line !== undefined)
        text += `      "line": ${JSON.stringify(line)},\n`;
    text += `      "reason": ${memo.reason(reason)},\n      "others": `;
    let entries = '';
    for (const name of Object.keys(others)) {
        const status = others[name];
        if (typeof status !== 'string')
            return undefined;
        entries += `${entries.length === 0 ? '' : ',\n'}        ${JSON.stringify(name)}: ${JSON.stringify(status)}`;
    }
    return `${text}${entries.length === 0 ? '{}' : `{\n${entries}\n      }`}\n    }`;
}
/** JSON.stringify of the last value of each field that repeats from gap to gap (sorted gaps share them). */
class JsonMemo {
    backend = lastValue();
    kind = lastValue();
    file = lastValue();
    reason = lastValue();
}
function lastValue() {
    let last;
    let json = '';
    return (value) => {
        if (value !== last) {
            last = value;
            json = JSON.stringify(value);
        }
        return json;
    };
}

// The verdict as GitHub Markdown, within a byte budget: a check-run summary (GitHub rejects one
// over 65,535 bytes) or a job summary (1 MiB per step). Blocks are added whole, most important
// first (errors, gaps), so a cut never leaves a broken table or an open tag; what did not fit is
// counted in a closing line that points at the complete record.
/** Characters of a test id or reason shown in a table cell. */
const CELL_CHARS = 400;
const JOB_SUMMARY_LIMIT = 1_048_576;
const ALL_SECTIONS = ['title', 'errors', 'gaps', 'messages', 'backends', 'drift', 'flaky', 'exemptions', 'copies'];
class Budget {
    limit;
    parts = [];
    used = 0;
    constructor(limit) {
        this.limit = limit;
    }
    get remaining() {
        return this.limit - this.used;
    }
    /** Adds the text whole if it fits within the budget less `reserve`; otherwise adds nothing. */
    tryAdd(text, reserve = 0) {
        const size = utf8Length(text);
        if (this.used + size > this.limit - reserve)
            return false;
        this.parts.push(text);
        this.used += size;
        return true;
    }
    toString() {
        return this.parts.join('');
    }
}
/** Room kept for the "...and N more" line at the end of a cut section. */
const TAIL_RESERVE = 400;
function renderMarkdown(verdict, options) {
    const budget = new Budget(options.maxBytes);
    const wanted = new Set(options.sections ?? ALL_SECTIONS);
    const icon = verdict.conclusion === 'success' ? '✅' : '❌';
    const heading = options.heading === undefined ? '' : `${escapeInline(options.heading)}: `;
    if (wanted.has('title'))
        budget.tryAdd(`## ${icon} ${heading}${escapeInline(verdict.title)}\n\n`);
    if (wanted.has('gaps')) {
        for (const u of verdict.unreachable ?? [])
            budget.tryAdd(`> 🔌 ${escapeInline(`${unreachableSentence(u)}. Fix: ${u.fix}`)}\n\n`, TAIL_RESERVE);
    }
    const omitted = [];
    // Rows are built one at a time and only while they fit: a verdict with a million gaps costs
    // the rows that are shown, not a million strings that would be thrown away.
    const section = (part, title, header, items, row, noun) => {
        if (items.length === 0 || !wanted.has(part))
            return;
        if (!budget.tryAdd(`### ${title}\n\n${header}`, TAIL_RESERVE + 200)) {
            omitted.push(`${items.length} ${noun}`);
            return;
        }
        let shown = 0;
        for (const item of items) {
            if (!budget.tryAdd(row(item), TAIL_RESERVE))
                break;
            shown += 1;
        }
        budget.tryAdd('\n');
        if (shown < items.length)
            omitted.push(`${items.length - shown} more ${noun}`);
    };
    section('errors', 'Unreadable reports', '| Report | Where | Problem |\n| --- | --- | --- |\n', verdict.errors, (e) => `| ${e.file === undefined ? '' : inlineCode(clip(e.file, CELL_CHARS))} | ${e.line === undefined ? '' : `line ${e.line}, column ${e.column ?? 0}`} | ${escapeInline(clip(e.message, CELL_CHARS * 2))} |\n`, 'unreadable reports');
    section('gaps', 'Gaps', '| Test | Backend | Kind | Other backends | Why |\n| --- | --- | --- | --- | --- |\n', verdict.gaps, (gap) => gapRow(gap, options.links), 'gaps');
    section('messages', 'Messages', '', verdict.gaps.filter((g) => g.message !== undefined), messageBlock, 'messages');
    section('backends', 'Backends', '| Backend | Report files | Tests | Passed | Failed | Errored | Skipped | Flaky |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n', verdict.backends, (b) => `| ${escapeInline(b.name)}${b.jobResult !== undefined && b.jobResult !== 'success' ? ` (job ${escapeInline(b.jobResult)})` : ''} | ${b.files} | ${b.tests} | ${b.passed} | ${b.failed} | ${b.errored} | ${b.skipped} | ${b.flaky} |\n`, 'backends');
    if (wanted.has('backends')) {
        for (const b of verdict.backends) {
            if (b.outOfScope === undefined)
                continue;
            const first = (verdict.outOfScope ?? []).filter((o) => o.backend === b.name).slice(0, 5);
            const examples = first.length > 0 ? `, e.g. ${first.map((o) => inlineCode(clip(o.test, CELL_CHARS))).join(', ')}` : '';
            budget.tryAdd(`> ${escapeInline(b.name)}: ${b.outOfScope} testcase(s) left out by \`scope\`${examples}.\n\n`, TAIL_RESERVE);
        }
    }
    if (wanted.has('backends') && !verdict.gaps.some((g) => g.kind === 'exposed')) {
        for (const b of verdict.backends) {
            if (b.secretsInReports !== undefined)
                budget.tryAdd(`> ⚠️ ${escapeInline(exposureSentence(b.name, b.secretsInReports))}.\n\n`, TAIL_RESERVE);
        }
    }
    if (wanted.has('drift')) {
        for (const drift of verdict.drift)
            budget.tryAdd(`> ${escapeInline(driftLine(drift))}\n\n`, TAIL_RESERVE);
    }
    const warned = verdict.drift.flatMap((d) => (verdict.gaps.some((g) => g.kind === 'vanished') ? [] : d.vanished.map((test) => ({ test, label: d.label }))));
    section('drift', 'Vanished since the earlier run (drift: warn)', '| Test | Was in |\n| --- | --- |\n', warned, (v) => `| ${inlineCode(clip(v.test, CELL_CHARS))} | ${escapeInline(v.label)} |\n`, 'vanished tests');
    section('drift', 'Removed on purpose', '| Test | Reason |\n| --- | --- |\n', verdict.drift.flatMap((d) => d.acknowledged), (a) => `| ${inlineCode(clip(a.test, CELL_CHARS))} | ${escapeInline(clip(a.reason, CELL_CHARS))} |\n`, 'removed tests');
    section('flaky', 'Flaky tests', '| Test | Backend | First failure |\n| --- | --- | --- |\n', verdict.flaky, (f) => `| ${inlineCode(clip(f.test, CELL_CHARS))} | ${escapeInline(f.backend)} | ${f.message === undefined ? '' : escapeInline(firstLine(f.message))} |\n`, 'flaky tests');
    const used = verdict.exemptions.filter((e) => e.state === 'used');
    section('exemptions', 'Exemptions used', '| Pattern | Runs on | Reason | Until | Tests excused |\n| --- | --- | --- | --- | ---: |\n', used, (e) => `| ${inlineCode(e.test)}${e.skipReason === undefined ? '' : ` (skips matching ${inlineCode(`/${e.skipReason}/`)})`} | ${e.noBackend === true ? 'no configured backend' : escapeInline(e.backends.join(', ') || 'any')} | ${escapeInline(e.reason)} | ${e.until ?? ''} | ${e.excused.length} |\n`, 'exemptions');
    const attention = verdict.exemptions.filter((e) => e.state !== 'used');
    section('exemptions', 'Exemptions to review', '| Pattern | State | Reason | Until |\n| --- | --- | --- | --- |\n', attention, (e) => `| ${inlineCode(e.test)} | ${EXEMPTION_STATE[e.state]} | ${escapeInline(e.reason)} | ${e.until ?? ''} |\n`, 'exemptions');
    section('copies', 'Copies from another backend (not counted)', '| Test | Names backend | Found in the reports of |\n| --- | --- | --- |\n', verdict.crossLeg, (c) => `| ${inlineCode(clip(c.test, CELL_CHARS))} | ${escapeInline(c.namedBackend)} | ${escapeInline(c.foundIn)} |\n`, 'copies');
    if (verdict.unassigned > 0 && wanted.has('copies')) {
        budget.tryAdd(`> ${verdict.unassigned} tests in reports shared by several backends name no backend, so they were not counted for any (see \`backend-in-name\`).\n\n`, TAIL_RESERVE);
    }
    if (omitted.length > 0) {
        const where = options.moreAt === undefined ? '' : ` See ${options.moreAt} for the complete list.`;
        budget.tryAdd(`**…and ${omitted.join(', ')} not shown here (size limit).**${where}\n`);
    }
    return budget.toString();
}
const KIND_LABEL = {
    missing: '❔ missing',
    skipped: '⏭️ skipped',
    failed: '❌ failed',
    errored: '💥 errored',
    flaky: '🔁 flaky',
    vanished: '🕳️ vanished',
    unproven: '🔍 unproven',
    exposed: '🔓 exposed',
    'no-report': '📭 no report',
    empty: '🫙 empty',
    'too-few': '📉 too few'
};
const EXEMPTION_STATE = { used: 'used', unused: 'matches tests that now run everywhere: remove it', expired: '⌛ expired', stale: '🕸️ stale: matched no test' };
function gapRow(gap, links) {
    const test = gap.test === WHOLE_BACKEND ? '*(every test)*' : inlineCode(clip(gap.test, CELL_CHARS));
    const others = Object.entries(gap.others)
        .map(([name, status]) => `${escapeInline(name)}: ${status}`)
        .join(', ');
    const where = location(gap, links);
    return `| ${test}${where === '' ? '' : `<br>${where}`} | ${escapeInline(gap.backend)} | ${KIND_LABEL[gap.kind]} | ${others} | ${escapeInline(clip(gap.reason, CELL_CHARS))} |\n`;
}
function location(gap, links) {
    if (gap.file === undefined)
        return '';
    const label = `${clip(gap.file, CELL_CHARS)}${gap.line === undefined ? '' : `:${gap.line}`}`;
    if (links === undefined || !isRepoRelative(gap.file))
        return inlineCode(label);
    const path = gap.file.replace(/^\.\//, '').split('/').map(encodeURIComponent).join('/');
    const anchor = gap.line === undefined ? '' : `#L${gap.line}`;
    const url = `${links.serverUrl}/${links.repository}/blob/${encodeURIComponent(links.sha)}/${path}${anchor}`;
    return `<a href="${escapeHtml(url)}">${escapeHtml(singleLine(label))}</a>`;
}
function isRepoRelative(file) {
    return !file.startsWith('/') && !/^[A-Za-z]:/.test(file) && !file.split('/').includes('..') && !/^[a-z]+:/i.test(file);
}
function messageBlock(gap) {
    const summary = `${escapeHtml(singleLine(clip(gap.test === WHOLE_BACKEND ? gap.kind : gap.test, CELL_CHARS)))} on ${escapeHtml(gap.backend)}`;
    return `<details><summary>${summary}</summary>\n\n<pre>${escapeHtml(gap.message ?? '')}</pre>\n</details>\n\n`;
}
/** One comparison with an earlier inventory, in a sentence. */
function driftLine(drift) {
    if (!drift.compared)
        return `Not compared with ${drift.label}: ${drift.reason ?? 'unknown reason'}.`;
    const parts = [`${drift.baseTests} ${drift.baseTests === 1 ? 'test' : 'tests'} there`, `${drift.vanished.length} vanished`];
    if (drift.acknowledged.length > 0)
        parts.push(`${drift.acknowledged.length} removed on purpose`);
    parts.push(`${drift.added} new`);
    if (drift.leftScope > 0)
        parts.push(`${drift.leftScope} now out of scope`);
    return `Compared with ${drift.label}: ${parts.join(', ')}.`;
}
function firstLine(text) {
    const line = text.split('\n', 1)[0] ?? '';
    return line.length > 200 ? `${sliceWhole(line, 200)}…` : line;
}

const KIND_ORDER = ['no-report', 'empty', 'too-few', 'unproven', 'exposed', 'failed', 'errored', 'missing', 'vanished', 'skipped', 'flaky'];
/** Pieces of about this many UTF-16 code units (a piece holds whole lines, so one long line is one piece). */
const PIECE_LENGTH = 1 << 16;
/**
 * renderText()'s exact text in pieces of whole lines, so a verdict with 1,000,000 gaps is never held
 * as one string. Each piece is defused on its own: a piece starts at a line start and ends with a
 * "\n", so no "##[" or line-start "::" spans two pieces (a run of blank lines before "::" is
 * matched from the later line start instead, with the same output). The report's trailing blank
 * lines are held back until it is known whether more text follows them. `pieceLength` is for tests
 * (small pieces put cuts everywhere).
 */
function* renderTextPieces(verdict, options, pieceLength = PIECE_LENGTH) {
    let batch = '';
    let emitted = false;
    for (const line of textLines(verdict, options)) {
        batch += `${line}\n`;
        if (batch.length < pieceLength)
            continue;
        // Cut after the first "\n" of the batch's trailing run of line breaks: they may end the report.
        let end = batch.length;
        while (end > 0 && batch.charCodeAt(end - 1) === 10)
            end--;
        if (end === 0)
            continue;
        yield defuseWorkflowCommands(batch.slice(0, end + 1));
        batch = batch.slice(end + 1);
        emitted = true;
    }
    const rest = defuseWorkflowCommands(batch).replace(/\n+$/, '');
    if (rest.length > 0 || !emitted)
        yield `${rest}\n`;
}
/** The report's lines, before workflow commands are defused (each may hold a line break of its own). */
function* textLines(verdict, options) {
    const paint = (code, text) => (options.colour ? `\x1b[${code}m${text}\x1b[0m` : text);
    const ok = verdict.conclusion === 'success';
    yield paint(ok ? '1;32' : '1;31', `${ok ? 'PASS' : 'FAIL'}  ${safe(verdict.title)}`);
    yield '';
    const header = ['backend', 'files', 'tests', 'passed', 'failed', 'errored', 'skipped', 'flaky'];
    const rows = verdict.backends.map((b) => [safe(b.name), b.files, b.tests, b.passed, b.failed, b.errored, b.skipped, b.flaky].map(String));
    yield* table([header, ...rows]);
    yield '';
    if (verdict.errors.length > 0) {
        yield paint('1;31', `Unreadable reports (${verdict.errors.length})`);
        for (const error of verdict.errors)
            yield `  ${safe(error.message)}`;
        yield '';
    }
    // Counted first, then walked once per kind: no per-kind copy of a million gaps.
    const counts = new Map();
    for (const gap of verdict.gaps)
        counts.set(gap.kind, (counts.get(gap.kind) ?? 0) + 1);
    for (const kind of KIND_ORDER) {
        const count = counts.get(kind) ?? 0;
        if (count === 0)
            continue;
        yield paint('1;33', `${kind} (${count})`);
        for (const gap of verdict.gaps)
            if (gap.kind === kind)
                yield* gapLines(gap);
        yield '';
    }
    for (const u of verdict.unreachable ?? [])
        yield paint('1;31', `${safe(unreachableSentence(u))}. Fix: ${safe(u.fix)}`);
    for (const b of verdict.backends) {
        if (b.outOfScope === undefined)
            continue;
        const first = (verdict.outOfScope ?? []).filter((o) => o.backend === b.name).slice(0, 5);
        yield `${b.name}: ${b.outOfScope} testcase(s) left out by scope${first.length > 0 ? `, e.g. ${first.map((o) => safe(o.test)).join('; ')}` : ''}`;
    }
    if (!verdict.gaps.some((g) => g.kind === 'exposed')) {
        for (const b of verdict.backends)
            if (b.secretsInReports !== undefined)
                yield paint('33', `warning: ${safe(exposureSentence(b.name, b.secretsInReports))}`);
    }
    for (const drift of verdict.drift) {
        yield safe(driftLine(drift));
        if (!verdict.gaps.some((g) => g.kind === 'vanished'))
            for (const test of drift.vanished)
                yield paint('33', `  vanished (drift: warn): ${safe(test)}`);
        for (const a of drift.acknowledged)
            yield `  removed on purpose: ${safe(a.test)} (${safe(a.reason)})`;
        yield '';
    }
    if (verdict.flaky.length > 0) {
        yield paint('1;36', `flaky, allowed by the warn policy (${verdict.flaky.length})`);
        for (const f of verdict.flaky)
            yield `  ${safe(f.test)}  [${safe(f.backend)}]`;
        yield '';
    }
    const review = verdict.exemptions.filter((e) => e.state !== 'used');
    for (const e of verdict.exemptions.filter((x) => x.state === 'used')) {
        const where = e.noBackend === true ? ' on no configured backend' : e.backends.length > 0 ? ` on ${e.backends.join(', ')}` : '';
        // By skip reason alone the test pattern is "*": name the tests by their skip instead.
        const scope = e.skipReason !== undefined && e.test === '*'
            ? `tests whose skip matches /${safe(e.skipReason)}/${where === '' ? '' : ` run${where}`}`
            : `${safe(e.test)}${where === '' ? '' : ` runs${where}`}${e.skipReason === undefined ? '' : `, skips matching /${safe(e.skipReason)}/`}`;
        yield `exemption used: ${scope} (${safe(e.reason)}): ${e.excused.length} test(s)`;
    }
    for (const e of review)
        yield paint('33', `exemption ${e.state}: ${safe(e.test)} (${safe(e.reason)})${e.until === undefined ? '' : ` until ${e.until}`}`);
    if (verdict.crossLeg.length > 0) {
        yield `${verdict.crossLeg.length} test(s) name one backend but sit in another backend's reports: not counted for either`;
        for (const c of verdict.crossLeg.slice(0, 20))
            yield `  ${safe(c.test)}  [names ${safe(c.namedBackend)}, found in ${safe(c.foundIn)}]`;
    }
    if (verdict.unassigned > 0)
        yield `${verdict.unassigned} test(s) in shared reports name no backend: not counted`;
}
function gapLines(gap) {
    const where = gap.file === undefined ? '' : `  (${safe(gap.file)}${gap.line === undefined ? '' : `:${gap.line}`})`;
    const test = gap.test === WHOLE_BACKEND ? '(every test)' : safe(gap.test);
    const out = [`  ${test}  [${safe(gap.backend)}]${where}`, `      ${safe(gap.reason)}`];
    if (gap.message !== undefined) {
        for (const line of messageLines(gap.message).slice(0, 6))
            out.push(`      | ${safe(line)}`);
    }
    return out;
}
/**
 * The message's lines, without a first line that the next one restates with its location
 * (pytest writes a skip as message="reason" and body "path:line: reason"): one line, not two.
 */
function messageLines(message) {
    const lines = message.split('\n');
    const [first, second] = lines;
    if (first !== undefined && first.length > 0 && second !== undefined && second.endsWith(`: ${first}`) && /:\d+: /.test(second))
        return lines.slice(1);
    return lines;
}
/**
 * Strips terminal control characters from untrusted text, and shows its line breaks as ⏎: a
 * test name must not start a line of its own (a forged "PASS" headline in the log).
 */
function safe(text) {
    return text.replace(/\r\n?|\n|\u2028|\u2029/g, ' ⏎ ').replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, '');
}
function table(rows) {
    const widths = rows[0]?.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length))) ?? [];
    return rows.map((row) => row.map((cell, col) => (col === 0 ? cell.padEnd(widths[col] ?? 0) : cell.padStart(widths[col] ?? 0))).join('  '));
}

// dual-backend-coverage [--config FILE] [--backend NAME=GLOB]... [--format text|markdown|json] [--output FILE] [--baseline FILE]
// dual-backend-coverage inventory [--write] [--config FILE] [--backend NAME=GLOB]... [--output FILE]
// Exit 0: every in-scope test ran and passed on every backend. 1: gaps. 2: usage, config or report errors.
const EXIT_SUCCESS = 0;
const EXIT_GAPS = 1;
const EXIT_ERROR = 2;
const USAGE = `Usage: dual-backend-coverage [--config FILE] [--backend NAME=GLOB]... [--format text|markdown|json] [--output FILE] [--baseline FILE]
       dual-backend-coverage inventory [--write] [--config FILE] [--backend NAME=GLOB]... [--output FILE]
       dual-backend-coverage doctor [--workflows DIR] [--format text|json] [--gate-action USES]
       dual-backend-coverage scrub [--config FILE] [--redact-env NAME]... FILE_OR_GLOB...
       dual-backend-coverage init --backend NAME=GLOB... [--output FILE|-] [--force]

Proves from JUnit XML reports that every storage test ran and passed on every backend.
  --config FILE        YAML config (default .github/dual-backend.yml when it exists)
  --backend NAME=GLOB  report files of one backend; repeat for each backend and glob (replaces the config's backends)
  --format FORMAT      text (default), markdown or json (the JSON verdict holds this run's test inventory)
  --output FILE        write the report to FILE instead of standard output
  --baseline FILE      a JSON verdict of an earlier run: a storage test it holds that no backend reports now is "vanished"
  -h, --help           show this help
  -V, --version        print the version

doctor: reads .github/workflows and names what makes this gate lie or flake (a gate without
if: always(), a report upload that skips on failure, a database service without a health check...).

init: drafts a starting config from the reports: backend-in-name when the names carry the
backend, and today's one-sided tests as draft exemptions whose TODO reasons you fill in.

scrub: rewrites report files in place with the gate's redaction (run it before uploading them).

inventory: lists the storage test ids the reports hold, one per line, in the format of the
config's \`inventory:\` file (the tests that must exist). --write writes that file instead of printing it.

Exit status: 0 all tests ran and passed everywhere, 1 gaps found, 2 usage, config or unreadable-report error.
`;
async function runCli(argv, io) {
    if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
        io.stdout(`dual-backend-coverage ${VERSION}\n`);
        return EXIT_SUCCESS;
    }
    if (argv[0] === 'doctor')
        return runDoctor(argv.slice(1), io);
    if (argv[0] === 'scrub')
        return runScrub(argv.slice(1), io);
    if (argv[0] === 'init')
        return runInit(argv.slice(1), io);
    const command = argv[0] === 'inventory' ? 'inventory' : 'check';
    let values;
    try {
        values = parseArgs({
            args: command === 'inventory' ? argv.slice(1) : argv,
            options: {
                config: { type: 'string' },
                backend: { type: 'string', multiple: true },
                format: { type: 'string' },
                output: { type: 'string' },
                baseline: { type: 'string' },
                write: { type: 'boolean' },
                help: { type: 'boolean', short: 'h' }
            },
            strict: true,
            allowPositionals: false
        }).values;
    }
    catch (error) {
        io.stderr(`dual-backend-coverage: ${error.message}\n\n${USAGE}`);
        return EXIT_ERROR;
    }
    if (values.help === true) {
        io.stdout(USAGE);
        return EXIT_SUCCESS;
    }
    const misplaced = command === 'inventory' ? (values.baseline !== undefined ? '--baseline' : values.format !== undefined ? '--format' : undefined) : values.write === true ? '--write' : undefined;
    if (misplaced !== undefined) {
        io.stderr(`dual-backend-coverage: ${misplaced} ${command === 'inventory' ? 'is not an option of the inventory command' : 'belongs to the inventory command: dual-backend-coverage inventory --write'}\n\n${USAGE}`);
        return EXIT_ERROR;
    }
    if (command === 'inventory')
        return runInventory(values, io);
    const format = values.format ?? 'text';
    if (format !== 'text' && format !== 'markdown' && format !== 'json') {
        io.stderr(`dual-backend-coverage: --format must be text, markdown or json (got "${format}")\n`);
        return EXIT_ERROR;
    }
    const firstRun = noConfigMessage(values, io.cwd);
    if (firstRun !== undefined) {
        io.stderr(firstRun);
        return EXIT_ERROR;
    }
    try {
        if (values.output !== undefined)
            checkOutputPath(values.output, io.cwd);
        const config = loadConfig({ path: values.config, backends: parseBackendLines(values.backend ?? [], '='), cwd: io.cwd });
        const drift = values.baseline === undefined ? [] : [readBaseline(values.baseline, io.cwd)];
        const verdict = await evaluateWorkspace({ config, workspace: io.cwd, env: io.env, now: io.now, drift, digest: format === 'json' });
        // JSON and text go out in pieces: a huge verdict as one string (UTF-16 with any non-Latin-1
        // name) plus its UTF-8 copy nearly doubled the peak memory at 1M testcases. Markdown is
        // already cut to its 1 MiB budget.
        const pieces = format === 'json'
            ? renderJsonPieces(verdict)
            : format === 'markdown'
                ? [renderMarkdown(verdict, { maxBytes: JOB_SUMMARY_LIMIT, heading: 'dual-backend coverage' })]
                : renderTextPieces(verdict, { colour: values.output === undefined && wantsColour(io) });
        if (values.output === undefined)
            await writeOut(pieces, io);
        else {
            writeFilePieces(pieces, path.resolve(io.cwd, values.output), values.output);
            // The report went to a file: the terminal still gets the verdict in one line.
            io.stderr(`${verdict.conclusion === 'success' ? 'PASS' : 'FAIL'}  ${verdictTitle(verdict)} (${format} report written to ${values.output})\n`);
        }
        for (const error of verdict.errors)
            io.stderr(`dual-backend-coverage: ${error.message}\n`);
        if (verdict.errors.length > 0)
            return EXIT_ERROR;
        return verdict.conclusion === 'success' ? EXIT_SUCCESS : EXIT_GAPS;
    }
    catch (error) {
        if (error instanceof ConfigError || error instanceof UnsafePathError || error instanceof InventoryError || error instanceof OutputError) {
            io.stderr(`dual-backend-coverage: ${error.message}\n`);
        }
        else {
            io.stderr(`dual-backend-coverage: internal error: ${error.message}\n`);
        }
        return EXIT_ERROR;
    }
}
/** An earlier run's JSON verdict as an inventory to compare with; an unusable file is an error (exit 2). */
function readBaseline(file, cwd) {
    let document;
    try {
        document = JSON.parse(readFileSync(path.resolve(cwd, file), 'utf8'));
    }
    catch (error) {
        const code = error.code;
        throw new InventoryError(`--baseline ${file}: ${code === undefined ? `not a JSON verdict (${error.message})` : `could not be read (${code})`}`);
    }
    const digest = document?.inventory;
    if (typeof digest !== 'string') {
        throw new InventoryError(`--baseline ${file}: holds no test inventory (write it with \`--format json\` of this version or later)`);
    }
    try {
        // Checked whole first (a damaged baseline is an error, exit 2); the engine then reads it one id at a time.
        readDigest(digest, () => undefined);
        return { label: `the baseline ${file}`, digest };
    }
    catch (error) {
        throw new InventoryError(`--baseline ${file}: ${error.message}`);
    }
}
/** `inventory`: the ids the reports hold, as the committed inventory file; refuses to write from a broken run. */
async function runInventory(values, io) {
    try {
        const loaded = loadConfig({ path: values.config, backends: parseBackendLines(values.backend ?? [], '='), cwd: io.cwd });
        // The inventory lists what the reports hold: the current file is not compared with itself.
        const config = { ...loaded, inventory: undefined, drift: 'off' };
        const verdict = await evaluateWorkspace({ config, workspace: io.cwd, env: io.env, now: io.now, digest: true });
        const broken = [
            ...verdict.errors.map((e) => e.message),
            ...verdict.gaps.filter((g) => g.kind === 'no-report' || g.kind === 'empty').map((g) => `${g.backend}: ${g.reason}`)
        ];
        if (broken.length > 0) {
            io.stderr(`dual-backend-coverage inventory: not written: a backend's reports are missing or unreadable, so tests would drop out of the list:\n${broken.map((b) => `  ${b}\n`).join('')}`);
            return EXIT_ERROR;
        }
        const ids = decodeDigest(verdict.digest ?? '').tests.map((t) => t.id);
        const text = formatInventoryFile(ids);
        const target = values.output ?? (values.write === true ? loaded.inventory : undefined);
        if (values.write === true && target === undefined) {
            io.stderr('dual-backend-coverage inventory: --write needs `inventory: PATH` in the config (or --output FILE)\n');
            return EXIT_ERROR;
        }
        if (target === undefined) {
            io.stdout(text);
        }
        else {
            checkOutputPath(target, io.cwd);
            writeFileSync(path.resolve(io.cwd, target), text);
            io.stderr(`dual-backend-coverage inventory: wrote ${ids.length} test ids to ${target}\n`);
        }
        return EXIT_SUCCESS;
    }
    catch (error) {
        io.stderr(`dual-backend-coverage inventory: ${error instanceof ConfigError || error instanceof UnsafePathError || error instanceof OutputError ? '' : 'internal error: '}${error.message}\n`);
        return EXIT_ERROR;
    }
}
/** Writes text pieces to stdout about 1 MB at a time, waiting for each batch to leave. */
async function writeOut(pieces, io) {
    let batch = '';
    for (const piece of pieces) {
        batch += piece;
        if (batch.length >= 1 << 20) {
            io.stdout(batch);
            batch = '';
            await io.stdoutDrained?.();
        }
    }
    if (batch.length > 0)
        io.stdout(batch);
}
/**
 * Colour on a terminal, as other tools decide it: FORCE_COLOR wins (0 or false turns it off),
 * then NO_COLOR (any non-empty value) and TERM=dumb turn it off.
 */
function wantsColour(io) {
    const force = io.env.FORCE_COLOR;
    if (force !== undefined)
        return !['0', 'false'].includes(force.trim().toLowerCase());
    if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '')
        return false;
    if (io.env.TERM === 'dumb')
        return false;
    return io.isTty;
}
/** No config file where one is looked for and no --backend: a first run, told where it looked and what to do. */
function noConfigMessage(values, cwd) {
    if (values.config !== undefined || (values.backend ?? []).length > 0)
        return undefined;
    if (existsSync(path.resolve(cwd, DEFAULT_CONFIG_PATH)))
        return undefined;
    return [
        `dual-backend-coverage: no config: looked for ${path.resolve(cwd, DEFAULT_CONFIG_PATH)} and found none, and no --backend was given.`,
        '  Name each backend\'s JUnit reports:',
        "    dual-backend-coverage --backend sqlite='reports/sqlite/*.xml' --backend postgres='reports/postgres/*.xml'",
        '  or write a starting config from them:',
        "    dual-backend-coverage init --backend sqlite='reports/sqlite/*.xml' --backend postgres='reports/postgres/*.xml'",
        '  or use another file with --config FILE. More: dual-backend-coverage --help',
        ''
    ].join('\n');
}
/** Writes text pieces to a file. */
function writeFilePieces(pieces, file, shown) {
    // To a file: each piece is encoded straight into one reused buffer (a UTF-16 code unit takes at
    // most 3 UTF-8 bytes), instead of joining 1 MB of pieces into a string and copying that.
    let fd;
    try {
        fd = openSync(file, 'w');
    }
    catch (error) {
        throw new OutputError(`--output ${shown}: cannot be written (${error.code ?? error.message})`);
    }
    const buffer = Buffer.allocUnsafe(1 << 20);
    let used = 0;
    const writeAll = (bytes) => {
        for (let done = 0; done < bytes.length;)
            done += writeSync(fd, bytes, done);
    };
    try {
        for (const piece of pieces) {
            if (used + piece.length * 3 > buffer.length) {
                writeAll(buffer.subarray(0, used));
                used = 0;
            }
            if (piece.length * 3 > buffer.length)
                writeAll(Buffer.from(piece, 'utf8'));
            else
                used += buffer.write(piece, used, 'utf8');
        }
        writeAll(buffer.subarray(0, used));
    }
    finally {
        closeSync(fd);
    }
}

// The CLI entry point (bundled to dist/cli.js).
const code = await runCli(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stdoutDrained: () => (process.stdout.writableNeedDrain ? once(process.stdout, 'drain').then(() => undefined) : Promise.resolve()),
    stderr: (text) => process.stderr.write(text),
    isTty: process.stdout.isTTY === true,
    cwd: process.cwd(),
    env: process.env
});
process.exitCode = code;
