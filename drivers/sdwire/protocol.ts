/**
 * The SD-Wire's USB identity and mux control, as upstream's driver uses them: an FTDI FT200X
 * whose CBUS0 pin drives the mux, set through the FTDI vendor requests SET_BITMODE (CBUS
 * bit-bang) and READ_PINS, sent to the device (wIndex 0).
 */

/** Ids `sd-mux-ctrl --init` programs into the FT200X's EEPROM, with product string `sd-wire`. */
export const PROGRAMMED_VENDOR_ID = 0x04e8;
export const PROGRAMMED_PRODUCT_ID = 0x6001;
export const PROGRAMMED_PRODUCT = "sd-wire";

/** A factory-default FT200X (accepted only when its serial number is configured). */
export const FTDI_VENDOR_ID = 0x0403;
export const FT200X_PRODUCT_ID = 0x6015;

/** FTDI vendor requests. */
export const SET_BITMODE = 0x0b;
export const READ_PINS = 0x0c;

/** SET_BITMODE's mode byte (wValue high byte) for CBUS bit-bang. */
export const CBUS_BITBANG = 0x20;

/** SET_BITMODE's pin byte: CBUS0..3 outputs, CBUS0 high (the card on the host) or low (the DUT). */
export const SELECT_HOST = 0xf1;
export const SELECT_DUT = 0xf0;
