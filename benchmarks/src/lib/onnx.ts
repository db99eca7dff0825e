/**
 * A minimal ONNX model writer: just enough protobuf to describe a one-node float32 graph
 * (MatMul, Add, Conv, ...) for ONNX Runtime, without an onnx/protobuf dependency.
 *
 * Field numbers from onnx/onnx.proto (IR version 8, opset 17):
 *   ModelProto      1 ir_version, 7 graph, 8 opset_import
 *   OperatorSetId   1 domain, 2 version
 *   GraphProto      1 node, 2 name, 11 input, 12 output
 *   NodeProto       1 input, 2 output, 3 name, 4 op_type, 5 attribute
 *   AttributeProto  1 name, 2 f, 3 i, 8 ints, 20 type (FLOAT=1, INT=2, INTS=7)
 *   ValueInfoProto  1 name, 2 type;  TypeProto 1 tensor_type;  TypeProto.Tensor 1 elem_type, 2 shape
 *   TensorShapeProto 1 dim;  Dimension 1 dim_value
 */

class Writer {
  private bytes: number[] = [];

  private varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      this.bytes.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.bytes.push(Number(x));
  }

  private key(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  int(field: number, v: number): this {
    this.key(field, 0);
    this.varint(v);
    return this;
  }

  float(field: number, v: number): this {
    this.key(field, 5);
    const b = new Uint8Array(new Float32Array([v]).buffer);
    this.bytes.push(...b);
    return this;
  }

  bytesField(field: number, b: Uint8Array): this {
    this.key(field, 2);
    this.varint(b.length);
    for (const x of b) this.bytes.push(x);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytesField(field, new TextEncoder().encode(s));
  }

  message(field: number, m: Writer): this {
    return this.bytesField(field, m.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

const FLOAT = 1; // TensorProto.DataType.FLOAT

export type AttrValue = number | { float: number } | number[];

export interface OnnxNode {
  op: string;
  inputs: { name: string; shape: number[] }[];
  output: { name: string; shape: number[] };
  attrs?: Record<string, AttrValue>;
}

function valueInfo(name: string, shape: number[]): Writer {
  const dims = new Writer();
  for (const d of shape) dims.message(1, new Writer().int(1, d));
  const tensorType = new Writer().int(1, FLOAT).message(2, dims);
  return new Writer().string(1, name).message(2, new Writer().message(1, tensorType));
}

function attribute(name: string, v: AttrValue): Writer {
  const a = new Writer().string(1, name);
  if (Array.isArray(v)) {
    for (const x of v) a.int(8, x);
    return a.int(20, 7);
  }
  if (typeof v === 'object') return a.float(2, v.float).int(20, 1);
  return a.int(3, v).int(20, 2);
}

/** Serialize a model with one node whose inputs are all graph inputs (so nothing is folded). */
export function onnxModel(node: OnnxNode, opset = 17): Uint8Array {
  const n = new Writer();
  for (const i of node.inputs) n.string(1, i.name);
  n.string(2, node.output.name).string(3, `${node.op.toLowerCase()}0`).string(4, node.op);
  for (const [k, v] of Object.entries(node.attrs ?? {})) n.message(5, attribute(k, v));
  const graph = new Writer().message(1, n).string(2, 'tensile_bench');
  for (const i of node.inputs) graph.message(11, valueInfo(i.name, i.shape));
  graph.message(12, valueInfo(node.output.name, node.output.shape));
  return new Writer()
    .int(1, 8)
    .message(7, graph)
    .message(8, new Writer().string(1, '').int(2, opset))
    .finish();
}
